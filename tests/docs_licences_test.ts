/** docs/licences.md covers every dependency, offline: it is read, never regenerated, here. */
import assert from "node:assert/strict";
import { isPermissive, type LicenceRow, parseLicences, parseLockKey } from "../tools/licences_table.ts";

const root = new URL("../", import.meta.url);
const REGENERATE = "run `deno run --allow-all tools/licences.ts` and check the licences it reports";

async function licenceRows(): Promise<LicenceRow[]> {
  return parseLicences(await Deno.readTextFile(new URL("docs/licences.md", root)));
}

function listed(rows: LicenceRow[], name: string, version: string): boolean {
  return rows.some((r) => r.name === name && r.version === version);
}

/** `npm:name@1.2.3`, `npm:/name@1.2.3/` -> name and version; null for anything that is not npm. */
function npmImport(specifier: string): { name: string; version: string } | null {
  const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/?$/.exec(specifier);
  return m ? { name: m[1], version: m[2] } : null;
}

Deno.test("docs/licences.md lists every npm package of deno.json imports at its pinned version", async () => {
  const rows = await licenceRows();
  const imports: Record<string, string> =
    JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).imports;
  const missing = Object.values(imports).flatMap((specifier) => {
    const pkg = npmImport(specifier);
    return pkg && !listed(rows, pkg.name, pkg.version) ? [`${pkg.name}@${pkg.version}`] : [];
  });
  assert.deepEqual(
    missing,
    [],
    `deno.json imports without a licence entry: ${missing.join(", ")}; ${REGENERATE}`,
  );
  for (const specifier of Object.values(imports)) {
    const pkg = npmImport(specifier);
    if (pkg) assert.ok(rows.find((r) => r.name === pkg.name)?.direct, `${pkg.name} is marked direct`);
  }
});

Deno.test("docs/licences.md lists every npm package of deno.lock and tests/deno.lock (transitive ones too)", async () => {
  const rows = await licenceRows();
  const keys: string[] = [];
  for (const file of ["deno.lock", "tests/deno.lock"]) {
    const lock = JSON.parse(await Deno.readTextFile(new URL(file, root)));
    keys.push(...Object.keys(lock.npm ?? {}));
  }
  const missing = keys.map(parseLockKey).filter((p) => !listed(rows, p.name, p.version));
  assert.deepEqual(
    missing.map((p) => `${p.name}@${p.version}`),
    [],
    `lock file packages without a licence entry; ${REGENERATE}`,
  );
});

Deno.test("every package the server runs with is under a permissive licence", async () => {
  const runtime = (await licenceRows()).filter((r) => r.use !== "test/dev");
  assert.ok(runtime.length > 0, "docs/licences.md marks the runtime packages");
  const flagged = runtime.filter((r) => !isPermissive(r.licence)).map((r) =>
    `${r.name}@${r.version}: ${r.licence}`
  );
  assert.deepEqual(flagged, [], "a runtime dependency's licence does not allow an MIT-licensed Sluice as is");
});

Deno.test("isPermissive() accepts MIT-compatible SPDX expressions and flags copyleft and unknown ones", () => {
  for (
    const ok of ["MIT", "ISC", "Apache-2.0", "BSD-3-Clause", "(MIT OR Apache-2.0)", "MIT AND ISC", "0BSD"]
  ) {
    assert.equal(isPermissive(ok), true, ok);
  }
  for (
    const flagged of ["GPL-3.0", "AGPL-3.0-or-later", "LGPL-2.1", "MPL-2.0", "unknown", "MIT AND GPL-2.0", ""]
  ) {
    assert.equal(isPermissive(flagged), false, flagged);
  }
  assert.equal(isPermissive("(GPL-2.0 OR MIT)"), true, "a choice of MIT is enough");
});

Deno.test("parseLockKey() reads name and version from deno.lock keys with scopes and peer suffixes", () => {
  assert.deepEqual(parseLockKey("hono@4.13.19"), { name: "hono", version: "4.13.19" });
  assert.deepEqual(parseLockKey("@hono/node-server@2.1.9_hono@4.13.19"), {
    name: "@hono/node-server",
    version: "2.1.9",
  });
  assert.deepEqual(parseLockKey("mysql2@3.24.6_@types+node@26.6.6"), { name: "mysql2", version: "3.24.6" });
  assert.deepEqual(parseLockKey("@modelcontextprotocol/conformance@0.2.0-alpha.12"), {
    name: "@modelcontextprotocol/conformance",
    version: "0.2.0-alpha.12",
  });
});
