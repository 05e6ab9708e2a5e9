import assert from "node:assert/strict";
import { openPostgres } from "../../src/store/postgres.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";

Deno.test("[postgres] statements never wait for a transaction: they have their own pool", async () => {
  const fresh = await freshPostgresDatabase();
  // One connection each: with a single shared pool, the statement below would wait for the transaction.
  const db = openPostgres(fresh.url, { max: 1, statementMax: 1 });
  try {
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let inside = () => {};
    const entered = new Promise<void>((r) => (inside = r));
    const tx = db.transaction(async (q) => {
      await q.query("select 1");
      inside();
      await held;
    });
    await entered;
    const answer = await Promise.race([
      db.query<{ n: number }>("select 42 as n").then((rows) => rows[0].n),
      new Promise((r) => setTimeout(() => r("waited"), 3000)),
    ]);
    release();
    await tx;
    assert.equal(answer, 42);
  } finally {
    await db.close();
    await fresh.drop();
  }
});
