import assert from "node:assert/strict";
import type { Db } from "../../src/store/db.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { claimQueueRows } from "../../src/store/queue_repo.ts";
import { listDeadLetters } from "../../src/store/dead_letter_repo.ts";
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

for (const o of OPENERS) {
  Deno.test(`[${o.name}] migration 9 keeps queued payloads, dead letters and Live Events written before it`, async () => {
    const { db, drop } = await o.open();
    try {
      const all = await loadMigrations();
      await migrate(db, all.filter((m) => m.version < 9));
      const payload = '{"event":{"type":"track","text":"é 🙂"},"ingestType":"s2s","messageId":"m1"}';
      const message = '{"body":"{\\"messageId\\":\\"m1\\"}",  "status":"SUCCESS"}';
      await db.query(
        "insert into event_queue (workspace_id, stream_id, payload, available_at) values ('w', 's', $1::json, now())",
        [payload],
      );
      await db.query(
        `insert into dead_letter (workspace_id, stream_id, connection_id, payload, error, attempts)
         values ('w', 's', 'c', $1::json, 'boom', 3)`,
        [payload],
      );
      await db.query(
        "insert into events_log (workspace_id, actor_id, type, level, message) values ('w', 's', 'incoming', 'info', $1::json)",
        [message],
      );
      assert.deepEqual(await migrate(db, all.filter((m) => m.version <= 9)), [9]);
      // Claimed by today's code, on today's schema.
      await migrate(db, all);
      const now = new Date();
      const claimed = await claimQueueRows(db, {
        now,
        leaseUntil: new Date(now.getTime() + 1000),
        limit: 10,
      });
      assert.deepEqual(
        claimed.map((r) => r.payloadJson),
        [payload],
        "a row from before keeps its own payload",
      );
      assert.deepEqual((await listDeadLetters(db, "w", { limit: 10 })).map((d) => d.payloadJson), [payload]);
      const log = await db.query<{ m: string }>("select message as m from events_log");
      assert.deepEqual(log.map((r) => r.m), [message], "the text exactly as stored, spacing included");
      await assert.rejects(
        db.query("insert into event_queue (workspace_id, stream_id) values ('w', 's')"),
        /event_queue_payload_or_log/,
        "a row must carry a payload or refer to an entry",
      );
    } finally {
      await db.close();
      await drop();
    }
  });
}
