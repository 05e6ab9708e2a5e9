import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../src/config.ts";
import { settingsTable } from "../src/config_docs.ts";

Deno.test("docs/settings.md's table is exactly the one made from src/config.ts", async () => {
  const readme = await Deno.readTextFile(new URL("../docs/settings.md", import.meta.url));
  const m = /<!-- settings-table -->\n([\s\S]*?)\n<!-- \/settings-table -->/.exec(readme);
  assert.ok(m, "docs/settings.md has no <!-- settings-table --> block");
  // Compare cell by cell: `deno fmt` pads the table's columns.
  const cells = (table: string) =>
    table.trim().split("\n").map((row) => row.split(/(?<!\\)\|/).map((c) => c.trim().replace(/^-+$/, "-")));
  assert.deepEqual(
    cells(m[1]),
    cells(settingsTable()),
    "docs/settings.md is stale: run `deno task docs`",
  );
});

Deno.test("loadConfig() applies defaults", () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.publicUrl, "http://localhost:3000");
  assert.equal(c.databaseUrl, null);
  assert.equal(c.dataDir, ".sluice");
  assert.equal(c.logFormat, "pretty");
  assert.equal(loadConfig({ PORT: "8080" }).publicUrl, "http://localhost:8080");
  assert.equal(
    loadConfig({ PUBLIC_URL: "https://sluice.example.com/" }).publicUrl,
    "https://sluice.example.com",
  );
  assert.deepEqual(loadConfig({ ALLOWED_ORIGINS: "https://a.example, https://b.example" }).allowedOrigins, [
    "https://a.example",
    "https://b.example",
  ]);
});

Deno.test("loadConfig() names the bad variable in one line and never echoes a secret", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: "eighty" }, /^Invalid setting PORT="eighty": must be a port number$/],
    [{ PORT: "99999" }, /^Invalid setting PORT="99999": must be at most 65535$/],
    [{ LOG_FORMAT: "xml" }, /^Invalid setting LOG_FORMAT="xml": must be one of pretty, json$/],
    [{ PUBLIC_URL: "sluice.local" }, /^Invalid setting PUBLIC_URL=/],
    [{ DATABASE_URL: "mysql://x" }, /^Invalid setting DATABASE_URL="mysql:\/\/x": must start with postgres/],
    [{ SLUICE_ADMIN_EMAIL: "a@b.co" }, /set both or neither/],
    [
      { SLUICE_ENCRYPTION_KEY: "c2hvcnQ=" },
      /^Invalid setting SLUICE_ENCRYPTION_KEY="\*\*\*": must be base64 of 32 bytes$/,
    ],
    [{ SLUICE_PEPPER: "short-secret" }, /^Invalid setting SLUICE_PEPPER="\*\*\*"/],
    [
      { SLUICE_ADMIN_EMAIL: "a@b.co", SLUICE_ADMIN_PASSWORD: "hunter2" },
      /^Invalid setting SLUICE_ADMIN_PASSWORD="\*\*\*": must be at least 8/,
    ],
  ];
  for (const [env, re] of cases) {
    assert.throws(() => loadConfig(env), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, re);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
  assert.throws(() => loadConfig({ DATABASE_URL: "postgres://u:topsecret@h/db", PORT: "x" }), /PORT/);
});
