/** The contract every Db driver keeps; run against PGlite and PostgreSQL alike. */
import assert from "node:assert/strict";
import { migrate } from "../../src/store/migrate.ts";
import { STORES } from "../_helpers/db.ts";

for (const store of STORES) {
  Deno.test(`[${store.name}] query() binds $n parameters and returns typed rows`, async () => {
    const db = await store.open();
    try {
      const rows = await db.query<
        { n: number; s: string; j: { a: number[] }; t: Date; b: boolean; nul: null }
      >(
        "select $1::int as n, $2::text as s, $3::jsonb as j, $4::timestamptz as t, true as b, null as nul",
        [42, "it's", JSON.stringify({ a: [1, 2] }), new Date("2026-01-02T03:04:05Z")],
      );
      assert.deepEqual(rows[0].j, { a: [1, 2] });
      assert.equal(rows[0].n, 42);
      assert.equal(rows[0].s, "it's");
      assert.ok(rows[0].t instanceof Date);
      assert.equal(rows[0].t.toISOString(), "2026-01-02T03:04:05.000Z");
      assert.equal(rows[0].b, true);
      assert.equal(rows[0].nul, null);
      const counts = await db.query<{ c: number }>("select count(*)::int as c from generate_series(1, 7)");
      assert.equal(counts[0].c, 7);
      const arr = await db.query<{ x: string[] }>("select $1::text[] as x", [["a", "b"]]);
      assert.deepEqual(arr[0].x, ["a", "b"]);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] transaction() commits on success and rolls back on throw`, async () => {
    const db = await store.open();
    try {
      await db.exec("create table t_contract (id int primary key, v text); create index on t_contract (v)");
      await db.transaction(async (tx) => {
        await tx.query("insert into t_contract values (1, 'a')");
        await tx.query("insert into t_contract values (2, 'b')");
      });
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query("insert into t_contract values (3, 'c')");
          throw new Error("boom");
        }),
        /boom/,
      );
      await assert.rejects(db.query("insert into t_contract values (1, 'dup')"), /duplicate key/);
      const rows = await db.query<{ id: number }>("select id from t_contract order by id");
      assert.deepEqual(rows.map((r) => r.id), [1, 2]);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] transaction() whose callback caught a failed statement rejects and stores nothing`, async () => {
    const db = await store.open();
    try {
      await db.exec("create table caught (n int)");
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query("insert into caught values (1)");
          await tx.query("select 1 / 0").catch(() => {});
        }),
      );
      const rows = await db.query<{ c: number }>("select count(*)::int as c from caught");
      assert.equal(rows[0].c, 0);
      // The connection is usable afterwards.
      await db.transaction((tx) => tx.query("insert into caught values (2)"));
      assert.equal((await db.query<{ c: number }>("select count(*)::int as c from caught"))[0].c, 1);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] transaction(): a statement sent after the transaction failed runs nowhere`, async () => {
    const db = await store.open();
    try {
      await db.exec("create table stragglers (n int)");
      const late = Promise.withResolvers<unknown>();
      await assert.rejects(
        db.transaction(async (tx) => {
          await Promise.all([
            (async () => {
              await tx.query("insert into stragglers values (1)");
              throw new Error("boom");
            })(),
            (async () => {
              // Still running when the first branch fails: its next statement would land after the
              // ROLLBACK, in autocommit, unless the transaction refuses it.
              await tx.query("select pg_sleep(0.2)").catch(() => {});
              await tx.query("insert into stragglers values (2)").then(late.resolve, late.resolve);
            })(),
          ]);
        }),
        /boom/,
      );
      const lateOutcome = await late.promise;
      assert.ok(lateOutcome instanceof Error, "the late statement is refused");
      const rows = await db.query<{ c: number }>("select count(*)::int as c from stragglers");
      assert.equal(rows[0].c, 0, "neither the rolled-back insert nor the straggler is stored");
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] listen() receives notify() payloads until unlistened`, async () => {
    const db = await store.open();
    try {
      const got: string[] = [];
      const { promise, resolve } = Promise.withResolvers<void>();
      const unlisten = await db.listen("sluice_contract", (p) => {
        got.push(p);
        if (got.length === 2) resolve();
      });
      await db.notify("sluice_contract", "one");
      await db.notify("sluice_contract", "two");
      await promise;
      assert.deepEqual(got, ["one", "two"]);
      await unlisten();
      await assert.rejects(db.listen("Bad Channel;", () => {}), /Cannot listen/);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] migrate() is idempotent and safe when two run at once`, async () => {
    const db = await store.open();
    try {
      const extra = [{
        version: 9001,
        name: "contract_extra",
        sql: "create table contract_extra (id int); insert into contract_extra values (1);",
      }];
      const { loadMigrations } = await import("../../src/store/migrate.ts");
      const all = [...await loadMigrations(), ...extra];
      const [a, b] = await Promise.all([migrate(db, all), migrate(db, all)]);
      assert.deepEqual([...a, ...b], [9001], "exactly one of the two applied the new migration");
      assert.deepEqual(await migrate(db, all), []);
      const rows = await db.query<{ n: number }>("select count(*)::int as n from contract_extra");
      assert.equal(rows[0].n, 1);
    } finally {
      await db.close();
    }
  });
}
