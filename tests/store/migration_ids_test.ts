import assert from "node:assert/strict";
import type { Db } from "../../src/store/db.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { configObjectIdTaken, findConfigObject, isUniqueViolation } from "../../src/store/resources_repo.ts";
import { findLiveStreamKeys, listStreamKeys } from "../../src/store/stream_keys_repo.ts";
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

const insertObject = `insert into config_objects
  (id, workspace_id, type, subtype, name, config, from_id, to_id, created_at, updated_at)
  values ($1, $2, $3, $4, $5, '{}'::jsonb, $6, $7, now(), now())`;
const insertKey = `insert into stream_keys
  (id, workspace_id, stream_id, kind, hint, salt, hash, pepper_id, created_at)
  values ($1, $2, $3, 'server', 'h', 's', 'x', 'p', now())`;

for (const o of OPENERS) {
  Deno.test(`[${o.name}] migration 10 keeps objects and keys and makes ids unique per workspace`, async () => {
    const { db, drop } = await o.open();
    try {
      const all = await loadMigrations();
      await migrate(db, all.filter((m) => m.version < 10));
      await db.query("insert into workspaces (id, name) values ('wa', 'A'), ('wb', 'B')");
      await db.query(insertObject, ["s1", "wa", "stream", null, "Site", null, null]);
      await db.query(insertObject, ["d1", "wa", "destination", "devnull", "Dev", null, null]);
      await db.query(insertObject, ["c1", "wa", "connection", "push", "Conn", "s1", "d1"]);
      await db.query(insertKey, ["k1", "wa", "s1"]);
      assert.deepEqual(await migrate(db, all.filter((m) => m.version <= 10)), [10]);

      // What was there is still there, found the same way.
      assert.equal((await findConfigObject(db, "wa", "connection", "c1"))?.from_id, "s1");
      assert.deepEqual((await findLiveStreamKeys(db, "k1")).map((k) => k.stream_id), ["s1"]);
      assert.deepEqual((await listStreamKeys(db, "wa", ["s1"])).map((k) => k.id), ["k1"]);

      // Another workspace may now use the same ids; the same workspace still may not.
      assert.equal(await configObjectIdTaken(db, "wb", "s1"), false);
      await db.query(insertObject, ["s1", "wb", "stream", null, "B's site", null, null]);
      // Key ids too: ingest then finds both and tells them apart by the secret.
      await db.query(insertKey, ["k1", "wb", "s1"]);
      assert.deepEqual((await listStreamKeys(db, "wb", ["s1"])).map((k) => k.workspace_id), ["wb"]);
      assert.deepEqual((await listStreamKeys(db, "wa", ["s1"])).map((k) => k.workspace_id), ["wa"]);
      assert.deepEqual((await findLiveStreamKeys(db, "k1")).map((k) => k.workspace_id).sort(), ["wa", "wb"]);
      await assert.rejects(db.query(insertKey, ["k1", "wa", "s1"]), (e) => isUniqueViolation(e));
      await assert.rejects(
        db.query(insertObject, ["s1", "wa", "stream", null, "again", null, null]),
        (e) => isUniqueViolation(e),
      );

      // A key can only point at a stream of its own workspace; deleting a stream deletes its keys only.
      await assert.rejects(db.query(insertKey, ["k3", "wb", "d1"]), /stream_keys_stream_fkey/);
      await db.query("delete from config_objects where workspace_id = 'wb' and id = 's1'");
      assert.deepEqual(
        (await db.query<{ id: string }>("select id from stream_keys order by id")).map((r) => r.id),
        ["k1"],
      );
    } finally {
      await db.close();
      await drop();
    }
  });
}
