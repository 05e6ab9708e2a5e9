import assert from "node:assert/strict";
import type { Db } from "../../src/store/db.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { STORES } from "../_helpers/db.ts";

/** The store, counting the queries and transactions that reach it. */
function counting(db: Db) {
  const seen = { queries: 0, transactions: 0 };
  const wrapped: Db = {
    ...db,
    query(text, params) {
      seen.queries++;
      return db.query(text, params);
    },
    transaction(fn) {
      seen.transactions++;
      return db.transaction(fn);
    },
  };
  return { db: wrapped, seen };
}

for (const s of STORES) {
  Deno.test(`[${s.name}] migrate on an up-to-date store is one query and no transaction`, async () => {
    const db = await s.open();
    try {
      const { db: watched, seen } = counting(db);
      assert.deepEqual(await migrate(watched, await loadMigrations()), []);
      assert.deepEqual(seen, { queries: 1, transactions: 0 });
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${s.name}] migrate applies a pending migration after the one-query check`, async () => {
    const db = await s.open();
    try {
      const all = await loadMigrations();
      const next = { version: all.length + 1, name: "probe", sql: "create table migrate_probe (id int)" };
      const { db: watched, seen } = counting(db);
      assert.deepEqual(await migrate(watched, [...all, next]), [next.version]);
      assert.equal(seen.transactions, 1);
      const [row] = await db.query<{ t: string | null }>("select to_regclass('migrate_probe')::text as t");
      assert.equal(row.t, "migrate_probe");
      assert.deepEqual(await migrate(watched, [...all, next]), []);
      assert.equal(seen.transactions, 1);
    } finally {
      await db.close();
    }
  });
}
