import assert from "node:assert/strict";
import { freshPostgresDatabase } from "../_helpers/db.ts";
import { runSluice, startSluice } from "../_helpers/process.ts";

Deno.test("with DATABASE_URL two instances migrate at once, share one PostgreSQL and write nothing to disk", async () => {
  const pg = await freshPostgresDatabase();
  const dataDir = `${await Deno.makeTempDir()}/must-not-exist`;
  const env = {
    DATABASE_URL: pg.url,
    DATA_DIR: dataDir,
    SLUICE_ADMIN_EMAIL: "admin@example.com",
    SLUICE_ADMIN_PASSWORD: "a long password",
  };
  try {
    const [a, b] = await Promise.all([startSluice(env), startSluice(env)]);
    try {
      const key = await runSluice(["apikey", "create", "--email", "admin@example.com"], { env });
      assert.equal(key.code, 0, key.stderr);
      for (const s of [a, b]) {
        const res = await fetch(`${s.url}/api/workspace`, {
          headers: { authorization: `Bearer ${key.stdout.trim()}` },
        });
        assert.equal(res.status, 200);
        const list = await res.json();
        assert.equal(list.length, 1, "one first workspace, although two instances started at once");
        assert.equal(list[0].name, "My workspace");
        const health = await (await fetch(`${s.url}/healthz`)).json();
        assert.equal(health.database, "postgres");
      }
    } finally {
      await a.stop();
      await b.stop();
    }
    await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound);
  } finally {
    await pg.drop();
  }
});
