import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

// With nodeModulesDir "auto", `deno task start` installs every npm package deno.lock lists, whether the
// server imports it or not. Test and benchmark tools therefore live in tests/deno.lock (the test task's
// --lock), and a stray `deno test` that wrote them into deno.lock is caught here.
Deno.test("deno.lock lists only the npm packages deno.json imports for the server", async () => {
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root)));
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const imported = new Set(
    Object.values(config.imports as Record<string, string>)
      .map((s) => /^npm:\/?((?:@[^/@]+\/)?[^/@]+@[^/]+)/.exec(s)?.[1])
      .filter((s): s is string => Boolean(s)),
  );
  for (const spec of Object.keys(lock.specifiers)) {
    assert.ok(
      imported.has(spec.replace(/^npm:/, "")),
      `deno.lock lists ${spec}, which deno.json does not import: restore deno.lock from git ` +
        `(test-only packages belong in tests/deno.lock)`,
    );
  }
  for (const test of ["playwright-core", "@modelcontextprotocol/sdk", "@modelcontextprotocol/conformance"]) {
    assert.ok(!Object.keys(lock.npm).some((k) => k.startsWith(`${test}@`)), `${test} is in deno.lock`);
  }
});

Deno.test("the test task resolves through tests/deno.lock, so test tools stay out of the server's install", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  assert.match(config.tasks.test, /--lock=tests\/deno\.lock/);
  await Deno.stat(new URL("tests/deno.lock", root));
});
