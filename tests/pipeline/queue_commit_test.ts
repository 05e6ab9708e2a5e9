/**
 * The pipeline's commit of a chunk (appendEvents with queue rows to delete: one statement, or the same
 * writes one by one when an entry cannot travel in it), on both stores.
 */
import assert from "node:assert/strict";
import {
  appendEvents,
  appendEventsInOneStatement,
  type EventLogEntry,
} from "../../src/events_log/events_log.ts";
import type { Db } from "../../src/store/db.ts";
import { STORES } from "../_helpers/db.ts";
import { queueRows } from "./fixtures.ts";

const T0 = new Date("2026-04-01T10:00:30Z");

const queue = (db: Db, n: number) => queueRows(db, n, T0);

function delivered(actorId: string, i: number, timestamp = T0): EventLogEntry {
  return {
    workspaceId: "ws",
    actorId,
    type: "bulker_stream",
    level: "info",
    timestamp,
    message: { original: `{"i":${i},"t":"quote \\" é 🙂 \u001e"}`, status: "SUCCESS", messageId: `m${i}` },
  };
}

async function stats(db: Db): Promise<string[]> {
  const rows = await db.query<{ g: string; c: string; s: string; p: Date; n: string }>(
    `select granularity as g, connection_id as c, status as s, period as p, events::text as n
       from event_stat order by 1, 2, 3, 4`,
  );
  return rows.map((r) => `${r.g} ${r.c} ${r.s} ${new Date(r.p).toISOString()} ${r.n}`);
}

for (const store of STORES) {
  Deno.test(`[${store.name}] a chunk's commit deletes its rows, appends its entries and counts them, in one statement`, async () => {
    const db = await store.open();
    try {
      const ids = await queue(db, 4);
      const entries = [
        delivered("c1", 1),
        delivered("c1", 2),
        delivered("c2", 3, new Date("2026-04-01T10:01:05Z")),
        { ...delivered("c1", 4), type: "function" as const, message: { dropped: true } },
        { ...delivered("c1", 5), type: "function" as const, level: "debug" as const, message: { log: "x" } },
      ];
      assert.equal(await appendEventsInOneStatement(db, entries, ids.slice(0, 3)), true);
      assert.deepEqual(
        (await db.query<{ id: string }>("select id::text as id from event_queue")).map((r) => r.id),
        [ids[3]],
      );
      const log = await db.query<{ a: string; t: string; m: string }>(
        "select actor_id as a, type as t, message::text as m from events_log order by id",
      );
      assert.deepEqual(
        log.map((r) => [r.a, r.t, JSON.parse(r.m)]),
        entries.map((e) => [e.actorId, e.type, e.message]),
      );
      assert.deepEqual(await stats(db), [
        "hour c1 delivered 2026-04-01T10:00:00.000Z 2",
        "hour c1 dropped 2026-04-01T10:00:00.000Z 1",
        "hour c2 delivered 2026-04-01T10:00:00.000Z 1",
        "minute c1 delivered 2026-04-01T10:00:00.000Z 2",
        "minute c1 dropped 2026-04-01T10:00:00.000Z 1",
        "minute c2 delivered 2026-04-01T10:01:00.000Z 1",
      ]);
      // Nothing to delete and nothing counted: still one statement; counts add up across commits.
      assert.equal(await appendEventsInOneStatement(db, [delivered("c1", 6)], []), true);
      assert.equal(await appendEventsInOneStatement(db, [], [ids[3]]), true);
      assert.equal((await db.query("select 1 from event_queue")).length, 0);
      assert.ok((await stats(db)).includes("minute c1 delivered 2026-04-01T10:00:00.000Z 3"));
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] a chunk's commit parks the rows that wait for a batch, in place, and deletes the rest`, async () => {
    const db = await store.open();
    try {
      const ids = await queue(db, 3);
      await db.query("update event_queue set locked_until = $1", [new Date(Date.now() + 60_000)]);
      const park = [{ id: ids[0], connectionId: "wh-1" }, { id: ids[2], connectionId: "wh-2" }];
      assert.equal(await appendEventsInOneStatement(db, [delivered("hook", 1)], [ids[1]], park), true);
      const rows = await db.query<{ id: string; c: string | null; b: boolean; l: Date | null; p: string }>(
        `select id::text as id, connection_id as c, batch as b, locked_until as l, payload as p
           from event_queue order by id`,
      );
      assert.deepEqual(
        rows.map((r) => [r.id, r.c, r.b, r.l, JSON.parse(r.p)]),
        [[ids[0], "wh-1", true, null, { i: 0 }], [ids[2], "wh-2", true, null, { i: 2 }]],
        "the parked rows wait for their connection's batch, unleased, with their event",
      );
      assert.equal((await db.query("select 1 from events_log")).length, 1);
      // A connection id that cannot travel joined: nothing is written, the caller commits the usual way.
      const [left] = await queue(db, 1).then((all) => all.slice(-1));
      assert.equal(
        await appendEventsInOneStatement(db, [], [], [{ id: left, connectionId: "odd\x1eid" }]),
        false,
      );
      assert.equal((await db.query("select 1 from event_queue where not batch")).length, 1);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] events counted without an entry (batch-mode deliveries) are added to the rollup with the commit`, async () => {
    const db = await store.open();
    try {
      const ids = await queue(db, 3);
      const counts = [
        { workspaceId: "w1", actorId: "wh", status: "delivered" as const, events: 998, timestamp: T0 },
        { workspaceId: "w1", actorId: "wh", status: "delivered" as const, events: 0, timestamp: T0 },
      ];
      const failed = { ...delivered("wh", 1), level: "error" as const, message: { status: "FAILED" } };
      assert.equal(await appendEventsInOneStatement(db, [failed], ids.slice(0, 2), [], counts), true);
      assert.deepEqual(await stats(db), [
        "hour wh delivered 2026-04-01T10:00:00.000Z 998",
        "hour wh error 2026-04-01T10:00:00.000Z 1",
        "minute wh delivered 2026-04-01T10:00:00.000Z 998",
        "minute wh error 2026-04-01T10:00:00.000Z 1",
      ]);
      assert.equal((await db.query("select 1 from events_log")).length, 1, "only the failed event is logged");
      // The transaction's path (an entry that cannot travel joined) counts them too.
      const odd = { ...failed, actorId: "c\u001e1" };
      await db.transaction((tx) =>
        appendEvents(tx, [odd], { deleteQueueIds: [ids[2]], counts: [counts[0]] })
      );
      assert.ok((await stats(db)).includes("minute wh delivered 2026-04-01T10:00:00.000Z 1996"));
      assert.equal((await db.query("select 1 from event_queue")).length, 0);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] an entry that cannot travel in the one statement is committed the usual way, with its counts`, async () => {
    const db = await store.open();
    try {
      const ids = await queue(db, 2);
      const odd = delivered("c\u001e1", 1);
      assert.equal(await appendEventsInOneStatement(db, [odd], ids), false);
      assert.equal((await db.query("select 1 from event_queue")).length, 2, "nothing written");
      assert.equal((await db.query("select 1 from events_log")).length, 0);
      await db.transaction((tx) => appendEvents(tx, [odd, delivered("c2", 2)], { deleteQueueIds: ids }));
      assert.equal((await db.query("select 1 from event_queue")).length, 0);
      const log = await db.query<{ a: string }>("select actor_id as a from events_log order by id");
      assert.deepEqual(log.map((r) => r.a), ["c\u001e1", "c2"]);
      assert.ok((await stats(db)).includes("minute c\u001e1 delivered 2026-04-01T10:00:00.000Z 1"));
    } finally {
      await db.close();
    }
  });
}
