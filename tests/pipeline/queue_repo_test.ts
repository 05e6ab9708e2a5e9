import assert from "node:assert/strict";
import {
  claimBatchRows,
  claimQueueRows,
  countQueueRows,
  deleteQueueRows,
  extendQueueLease,
  failQueueRow,
  insertQueueRows,
  parkForBatch,
  pendingBatchGroup,
  pendingBatchGroups,
  queueDepth,
  releaseQueueRows,
} from "../../src/store/queue_repo.ts";
import { batchRowOf } from "../../src/store/queue_rows.ts";
import { insertDeadLetters, listDeadLetters, takeDeadLetters } from "../../src/store/dead_letter_repo.ts";
import { type IngestedInsert, insertIngested } from "../../src/store/ingest_repo.ts";
import { STORES } from "../_helpers/db.ts";

const T0 = new Date("2026-04-01T00:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

function row(i: number, availableAt = T0) {
  return {
    workspaceId: "ws",
    streamId: "st",
    connectionId: null,
    payloadJson: JSON.stringify({ i }),
    attempts: 0,
    availableAt,
  };
}

for (const store of STORES) {
  Deno.test(`[${store.name}] insertIngested() stores every incoming entry as given and queues the accepted ones by reference`, async () => {
    const db = await store.open();
    try {
      const item = (ws: string, n: number, queued: boolean): IngestedInsert => ({
        workspaceId: ws,
        streamId: `st${n}`,
        level: queued ? "info" : "error",
        timestamp: at(n),
        // The shape ingest writes: `body` is the ingest message as a JSON string.
        messageJson: JSON.stringify({
          body: JSON.stringify({
            ingestType: "s2s",
            messageCreated: at(n).toISOString(),
            httpHeaders: { "user-agent": `ua${n}` },
            messageId: `m${n}`,
            type: "track",
            httpPayload: { n, text: 'quote " back \\ tab \t nl \n é 🙂 a\u001eb' },
          }),
          status: queued ? "SUCCESS" : "FAILED",
        }),
        queued,
      });
      const read = async () => ({
        queue: await db.query<{ w: string; s: string; p: string | null; a: Date; log: string }>(
          `select workspace_id as w, stream_id as s, payload as p, available_at as a, log_id::text as log
             from event_queue order by id`,
        ),
        log: await db.query<{ id: string; w: string; a: string; l: string; m: string; t: Date }>(
          `select id::text as id, workspace_id as w, actor_id as a, level as l, message as m, timestamp as t
             from events_log where type = 'incoming' order by id`,
        ),
      });
      // One refused event alone (no queue row), then a mixed group, then a group whose ids hold the
      // separator (the JSON-array fallback).
      const groups = [[item("ws", 1, false)], [
        item("ws", 2, true),
        item("ws", 3, false),
        item("ws2", 4, true),
      ], [
        item("w\x1es", 5, true),
        item("ws", 6, false),
      ]];
      const all = groups.flat();
      for (const g of groups) await insertIngested(db, g);
      const { queue, log } = await read();
      const byN = (m: string) => JSON.parse(JSON.parse(m).body).httpPayload.n;
      assert.deepEqual(
        log.map((r) => [r.w, r.a, r.l, r.m, r.t.getTime()]),
        all.map((x) => [x.workspaceId, x.streamId, x.level, x.messageJson, x.timestamp.getTime()]),
        "in the group's order, refused and accepted alike",
      );
      const queued = all.filter((x) => x.queued);
      assert.deepEqual(
        queue.map((r) => [r.w, r.s, r.p, r.a.getTime(), byN(log.find((e) => e.id === r.log)!.m)]),
        queued.map((x) => [x.workspaceId, x.streamId, null, x.timestamp.getTime(), byN(x.messageJson)]),
        "a queue row per accepted event, with no payload of its own, referring to its entry",
      );
      // Claiming rebuilds each payload from the entry.
      const claimed = await claimQueueRows(db, { now: at(100), leaseUntil: at(130), limit: 10 });
      assert.deepEqual(
        claimed.map((r) => JSON.parse(r.payloadJson!)),
        queued.map((x) => {
          const body = JSON.parse(JSON.parse(x.messageJson).body);
          return {
            event: body.httpPayload,
            ingestType: "s2s",
            messageId: body.messageId,
            headers: body.httpHeaders,
            receivedAt: body.messageCreated,
          };
        }),
      );
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] a claimed row of ingest's as a batch row (batchRowOf) reads the same payload, built from its entry`, async () => {
    const db = await store.open();
    try {
      const entry = (n: number, body: unknown): IngestedInsert => ({
        workspaceId: "ws",
        streamId: "st",
        level: "info",
        timestamp: at(n),
        messageJson: JSON.stringify({ status: "SUCCESS", body }),
        queued: true,
      });
      await insertIngested(db, [
        entry(1, {
          ingestType: "browser",
          messageCreated: at(1).toISOString(),
          httpHeaders: { "user-agent": "ua" },
          messageId: "m1",
          httpPayload: { n: 1, nested: { a: [1, 2] } },
        }),
        // Not an ingest message: unreadable, whenever it is read.
        entry(2, { messageId: "m2" }),
      ]);
      const [ok, bad] = await claimQueueRows(db, {
        now: at(100),
        leaseUntil: at(130),
        limit: 10,
        lease: "7",
      });
      const held = batchRowOf(ok, "c1");
      assert.deepEqual(
        [held.id, held.workspaceId, held.streamId, held.connectionId, held.batch, held.lease, held.attempts],
        [ok.id, "ws", "st", "c1", true, "7", 0],
      );
      assert.equal(held.availableAt.getTime(), at(1).getTime());
      const expected = {
        event: { n: 1, nested: { a: [1, 2] } },
        ingestType: "browser",
        messageId: "m1",
        headers: { "user-agent": "ua" },
        receivedAt: at(1).toISOString(),
      };
      assert.deepEqual(JSON.parse(held.payloadJson!), expected);
      assert.equal(held.built, true);
      assert.deepEqual(held.parsed, expected);
      // The claimed row and its batch row are built on their own: neither shares the other's object.
      assert.equal(ok.payloadJson, held.payloadJson);
      assert.notEqual(ok.parsed, held.parsed);
      assert.equal(batchRowOf(bad, "c1").payloadJson, null);
      assert.equal(bad.payloadJson, null);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] a queued event whose incoming entry is gone claims with no payload`, async () => {
    const db = await store.open();
    try {
      await insertIngested(db, [{
        workspaceId: "ws",
        streamId: "st",
        level: "info",
        timestamp: T0,
        messageJson: JSON.stringify({ body: JSON.stringify({ httpPayload: { a: 1 } }), status: "SUCCESS" }),
        queued: true,
      }]);
      await db.exec("alter table events_log disable trigger events_log_keep_queued");
      await db.query("delete from events_log");
      const claimed = await claimQueueRows(db, { now: at(1), leaseUntil: at(31), limit: 10 });
      assert.deepEqual(claimed.map((r) => r.payloadJson), [null]);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] queueDepth() is the id span far below the cap and the exact count near it`, async () => {
    const db = await store.open();
    try {
      assert.equal(await queueDepth(db, 100), 0, "empty");
      await insertQueueRows(db, Array.from({ length: 10 }, (_, i) => row(i)));
      const ids = (await db.query<{ id: string }>("select id::text from event_queue order by event_queue.id"))
        .map((r) => r.id);
      await db.query("delete from event_queue where id <> all($1::bigint[])", [[ids[0], ids[9]].map(Number)]);
      assert.equal(await countQueueRows(db, 100), 2);
      assert.equal(
        await queueDepth(db, 100),
        10,
        "span 10 is under half of 100: the span, a bound from above",
      );
      assert.equal(await queueDepth(db, 20), 2, "span 10 is half of 20: counted");
      assert.equal(await queueDepth(db, 2), 2, "counted up to the cap");
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] claimQueueRows() leases ready rows once, in order, and again after the lease`, async () => {
    const db = await store.open();
    try {
      await insertQueueRows(db, [row(1), row(2), row(3), row(4, at(60))]);
      assert.equal(await countQueueRows(db, 100), 4);
      assert.equal(await countQueueRows(db, 2), 2, "counting stops at the cap");
      const first = await claimQueueRows(db, { now: at(1), leaseUntil: at(31), limit: 2 });
      assert.deepEqual(first.map((r) => JSON.parse(r.payloadJson!).i), [1, 2]);
      const second = await claimQueueRows(db, { now: at(2), leaseUntil: at(32), limit: 10 });
      assert.deepEqual(
        second.map((r) => JSON.parse(r.payloadJson!).i),
        [3],
        "leased and future rows are skipped",
      );
      const afterLease = await claimQueueRows(db, { now: at(31), leaseUntil: at(61), limit: 10 });
      assert.deepEqual(
        afterLease.map((r) => JSON.parse(r.payloadJson!).i),
        [1, 2],
        "an ended lease frees the row",
      );
      await releaseQueueRows(db, second.map((r) => r.id));
      await deleteQueueRows(db, afterLease.map((r) => r.id));
      const rest = await claimQueueRows(db, { now: at(60), leaseUntil: at(90), limit: 10 });
      assert.deepEqual(rest.map((r) => JSON.parse(r.payloadJson!).i), [3, 4]);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] batch rows wait for claimBatchRows(): grouped by connection, leased once, never claimed as ordinary rows`, async () => {
    const db = await store.open();
    try {
      const waiting = (i: number, conn: string, availableAt: Date, attempts = 0) => ({
        ...row(i, availableAt),
        connectionId: conn,
        attempts,
        batch: true,
      });
      await insertQueueRows(db, [
        row(1),
        waiting(2, "c1", at(0)),
        waiting(3, "c1", at(5), 2),
        waiting(4, "c2", at(3)),
        waiting(5, "c1", at(60)),
      ]);
      const ordinary = await claimQueueRows(db, { now: at(100), leaseUntil: at(130), limit: 10 });
      assert.deepEqual(ordinary.map((r) => [JSON.parse(r.payloadJson!).i, r.batch]), [[1, false]]);
      const groups = await pendingBatchGroups(db, at(10));
      assert.deepEqual(
        groups.map((g) => [g.connectionId, g.count, g.oldest.getTime(), g.maxAttempts]),
        [["c1", 2, at(0).getTime(), 2], ["c2", 1, at(3).getTime(), 0]],
        "ready rows only, oldest group first",
      );
      const one = async (c: string, s: number) => {
        const g = await pendingBatchGroup(db, at(s), "ws", c);
        return g && [g.count, g.oldest.getTime(), g.maxAttempts];
      };
      assert.deepEqual(await one("c1", 10), [2, at(0).getTime(), 2], "one connection's look, as the groups'");
      assert.deepEqual(await one("c2", 10), [1, at(3).getTime(), 0]);
      assert.equal(await pendingBatchGroup(db, at(10), "other-ws", "c1"), null, "another workspace's: none");
      const c1 = await claimBatchRows(db, {
        workspaceId: "ws",
        connectionId: "c1",
        now: at(10),
        leaseUntil: at(40),
        limit: 1,
      });
      assert.deepEqual(c1.map((r) => [JSON.parse(r.payloadJson!).i, r.batch, r.availableAt.getTime()]), [
        [2, true, at(0).getTime()],
      ]);
      const again = await claimBatchRows(db, {
        workspaceId: "ws",
        connectionId: "c1",
        now: at(11),
        leaseUntil: at(41),
        limit: 10,
      });
      assert.deepEqual(
        again.map((r) => JSON.parse(r.payloadJson!).i),
        [3],
        "leased and future rows are skipped",
      );
      assert.deepEqual((await pendingBatchGroups(db, at(12))).map((g) => g.connectionId), ["c2"]);
      assert.equal(await one("c1", 12), null, "leased rows are not waiting");
      await releaseQueueRows(db, again.map((r) => r.id));
      assert.deepEqual((await pendingBatchGroups(db, at(12))).map((g) => [g.connectionId, g.count]), [
        ["c2", 1],
        ["c1", 1],
      ], "released rows wait again; c2's is the oldest now");
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] dead letters are listed newest first and taken by connection or id`, async () => {
    const db = await store.open();
    try {
      const dl = (c: string, e: string) => ({
        workspaceId: "ws",
        streamId: "st",
        connectionId: c,
        payloadJson: JSON.stringify({ messageId: e, event: {} }),
        error: `failed ${e}`,
        attempts: 4,
      });
      await insertDeadLetters(db, [dl("c1", "a"), dl("c2", "b"), dl("c1", "c")]);
      const all = await listDeadLetters(db, "ws", { limit: 10 });
      assert.deepEqual(all.map((r) => r.error), ["failed c", "failed b", "failed a"]);
      assert.equal((await listDeadLetters(db, "other", { limit: 10 })).length, 0);
      const c1 = await takeDeadLetters(db, "ws", { connectionId: "c1", limit: 10 });
      assert.deepEqual(c1.map((r) => r.error), ["failed a", "failed c"]);
      const left = await listDeadLetters(db, "ws", { limit: 10 });
      assert.deepEqual(left.map((r) => r.connectionId), ["c2"]);
      assert.deepEqual(await takeDeadLetters(db, "ws", { ids: ["999999"], limit: 10 }), []);
      const byId = await takeDeadLetters(db, "ws", { ids: [left[0].id], limit: 10 });
      assert.equal(byId.length, 1);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] claims skip full lanes' rows; parked and failed rows lose their lease for good`, async () => {
    const db = await store.open();
    try {
      await insertQueueRows(db, [
        { ...row(1), streamId: "busy" },
        { ...row(2), streamId: "busy", connectionId: "c-busy" },
        { ...row(3), streamId: "busy", connectionId: "c-free" },
        row(4),
        // The same stream id in another workspace is another lane.
        { ...row(5), workspaceId: "other", streamId: "busy" },
      ]);
      const lease = { now: T0, leaseUntil: at(60), limit: 10 };
      const got = await claimQueueRows(db, {
        ...lease,
        skipStreams: ["ws/busy"],
        skipConnections: ["ws/c-busy"],
      });
      assert.deepEqual(got.map((r) => JSON.parse(r.payloadJson!).i), [3, 4, 5], "skipped rows stay queued");
      const [park, fail] = got;
      await parkForBatch(db, [{ id: fail.id, connectionId: "c-1" }]);
      await failQueueRow(db, { id: park.id, availableAt: at(30), error: "boom" });
      // A renewal racing with the commit must not lease them again.
      await extendQueueLease(db, [park.id, fail.id], at(600));
      const q = await db.query<{ i: string; batch: boolean; c: string | null; n: number; e: string | null }>(
        `select payload as i, batch, connection_id as c, attempts as n, last_error as e from event_queue
          where locked_until is null order by id`,
      );
      assert.deepEqual(
        q.map((r) => [JSON.parse(r.i).i, r.batch, r.c, Number(r.n), r.e]),
        [[1, false, null, 0, null], [2, false, "c-busy", 0, null], [3, false, "c-free", 1, "boom"], [
          4,
          true,
          "c-1",
          0,
          null,
        ]],
      );
      assert.equal((await claimQueueRows(db, { ...lease, now: at(29) })).length, 2, "the failed row waits");
    } finally {
      await db.close();
    }
  });
}
