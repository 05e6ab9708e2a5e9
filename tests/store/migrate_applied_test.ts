import assert from "node:assert/strict";
import type { Db } from "../../src/store/db.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";

const OPENERS: { name: string; open(): Promise<{ db: Db; drop(): Promise<void> }> }[] = [
  { name: "pglite", open: async () => ({ db: await openPglite(), drop: () => Promise.resolve() }) },
  {
    name: "postgres",
    async open() {
      const fresh = await freshPostgresDatabase();
      return { db: openPostgres(fresh.url, { max: 2 }), drop: fresh.drop };
    },
  },
];

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

for (const o of OPENERS) {
  Deno.test(`[${o.name}] migrate on an up-to-date store is one query and no transaction`, async () => {
    const { db, drop } = await o.open();
    try {
      const all = await loadMigrations();
      assert.deepEqual(await migrate(db, all), all.map((m) => m.version));
      const { db: watched, seen } = counting(db);
      assert.deepEqual(await migrate(watched, all), []);
      assert.deepEqual(seen, { queries: 1, transactions: 0 });
    } finally {
      await db.close();
      await drop();
    }
  });

  Deno.test(`[${o.name}] migrate applies only what is pending after the one-query check`, async () => {
    const { db, drop } = await o.open();
    try {
      const all = await loadMigrations();
      await migrate(db, all.slice(0, -1));
      const { db: watched, seen } = counting(db);
      assert.deepEqual(await migrate(watched, all), [all.length]);
      assert.equal(seen.transactions, 1);
      const rows = await db.query<{ n: number }>("select count(*)::int as n from schema_migrations");
      assert.equal(rows[0].n, all.length);
    } finally {
      await db.close();
      await drop();
    }
  });
}
