import assert from "node:assert/strict";
import { openPostgres } from "../../src/store/postgres.ts";
import { postgresServerUrl } from "../_helpers/db.ts";

Deno.test("[postgres] fixed-text queries are prepared once per connection; generated wide ones are not", async () => {
  // One connection, so pg_prepared_statements (per session) shows everything this pool prepared.
  const db = openPostgres(await postgresServerUrl(), { max: 1 });
  try {
    const point = "select $1::int + 1 as n";
    assert.deepEqual([...await db.query(point, [1])], [{ n: 2 }]);
    assert.deepEqual([...await db.query(point, [41])], [{ n: 42 }]);
    const wide = `select ${Array.from({ length: 20 }, (_, i) => `$${i + 1}::int`).join(" + ")} as n`;
    assert.deepEqual([...await db.query(wide, Array.from({ length: 20 }, () => 1))], [{ n: 20 }]);
    await db.transaction(async (tx) => assert.deepEqual([...await tx.query(point, [2])], [{ n: 3 }]));
    const prepared = await db.query<{ statement: string }>("select statement from pg_prepared_statements");
    // (postgres.js prepares a few of its own, e.g. its array-type lookup and `commit`.)
    const ours = prepared.map((p) => p.statement).filter((x) => x.includes("::int"));
    assert.deepEqual(ours, [point]);
  } finally {
    await db.close();
  }
});
