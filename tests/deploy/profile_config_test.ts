/** How the settings choose the runtime profile, and what the Deploy profile changes in them. */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../src/config.ts";

const PG = "postgres://sluice:secret@db.example:5432/sluice";

Deno.test("loadConfig() picks the Deploy profile from DENO_DEPLOYMENT_ID unless RUNTIME says otherwise", () => {
  assert.equal(loadConfig({}).runtime, "machine");
  assert.equal(loadConfig({ DENO_DEPLOYMENT_ID: "abc123", DATABASE_URL: PG }).runtime, "deploy");
  assert.equal(loadConfig({ RUNTIME: "deploy", DATABASE_URL: PG }).runtime, "deploy");
  assert.equal(loadConfig({ RUNTIME: "machine", DENO_DEPLOYMENT_ID: "abc123" }).runtime, "machine");
});

Deno.test("loadConfig() on Deploy listens on every interface unless HOST is set", () => {
  assert.equal(loadConfig({ DENO_DEPLOYMENT_ID: "abc123", DATABASE_URL: PG }).host, "0.0.0.0");
  assert.equal(
    loadConfig({ DENO_DEPLOYMENT_ID: "abc123", DATABASE_URL: PG, HOST: "127.0.0.1" }).host,
    "127.0.0.1",
  );
  assert.equal(loadConfig({}).host, "127.0.0.1", "the machine profile keeps its loopback default");
});

Deno.test("loadConfig() refuses a Deploy profile without DATABASE_URL and an unknown RUNTIME, in one line", () => {
  assert.throws(
    () => loadConfig({ DENO_DEPLOYMENT_ID: "abc123" }),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(
        e.message,
        /^Invalid setting DATABASE_URL="": Deno Deploy \(DENO_DEPLOYMENT_ID is set\) needs/,
      );
      return true;
    },
  );
  assert.throws(
    () => loadConfig({ RUNTIME: "edge" }),
    /Invalid setting RUNTIME="edge": must be machine or deploy \(or empty/,
  );
});
