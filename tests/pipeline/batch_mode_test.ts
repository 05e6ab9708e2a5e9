/**
 * Batch mode through the whole pipeline into a real PostgreSQL destination: events wait in
 * the queue until `batchSize` or `frequency`, a batch is one driver call and one `bulker_batch` entry,
 * and nothing is acknowledged before its batch committed (a killed process loses and doubles nothing).
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import type { DestinationDriver } from "../../src/destinations/driver.ts";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { defaultDrivers } from "../../src/pipeline/drivers.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { processBatch } from "../../src/pipeline/process_batch.ts";
import { claimQueueRows, newLeaseToken } from "../../src/store/queue_repo.ts";
import { createResource, updateResource } from "../../src/services/resources.ts";
import type { Db } from "../../src/store/db.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { runUntilThenKill } from "../_helpers/process.ts";
import { pgTarget, type Target } from "../destinations/_targets.ts";
import { afterQueries, BATCH, batchStream, send } from "./_batch_fixtures.ts";
import { connectionCounts, setupPipeline } from "./fixtures.ts";

const MINUTE = 60_000;
const ENV = { PIPELINE_RETRIES: "3", PIPELINE_RETRY_BASE_MS: "1000" };

/** Message ids in the warehouse's `events` table (none when the table does not exist yet). */
async function written(wh: Target): Promise<string[]> {
  const tables = await wh.client.query(
    "select 1 from information_schema.tables where table_schema = $1 and table_name = 'events'",
    [wh.name],
  );
  if (tables.length === 0) return [];
  return (await wh.rows("events")).map((r) => String(r.message_id));
}

/**
 * Turns the queued stream rows into the connection's waiting batch rows and stops there: no Pipeline, which
 * would hold them in memory, or park them and write the batch they fill at once. Returns the rows parked.
 */
async function parkOnly(t: TestApp): Promise<number> {
  const now = t.deps.clock.now();
  const rows = await claimQueueRows(t.deps.db, {
    now,
    leaseUntil: new Date(now.getTime() + MINUTE),
    limit: 100,
    lease: newLeaseToken(),
  });
  const s = await processBatch(t.deps, rows, {
    sandbox: t.deps.sandbox,
    drivers: defaultDrivers(t.deps),
    signal: new AbortController().signal,
  });
  return s.batched;
}

async function queued(db: Db): Promise<{ batch: number; other: number }> {
  const rows = await db.query<{ batch: number; other: number }>(
    "select count(*) filter (where batch)::int as batch, count(*) filter (where not batch)::int as other from event_queue",
  );
  return { batch: Number(rows[0].batch), other: Number(rows[0].other) };
}

// Live Events messages are JSON of several shapes; tests read them loosely.
async function logOf(
  t: TestApp,
  ws: string,
  type: "bulker_stream" | "bulker_batch",
  actorId: string,
  // deno-lint-ignore no-explicit-any
): Promise<any[]> {
  const page = await queryEvents(t.deps.db, { workspaceId: ws, type, actorId, limit: 1000 });
  return page.events.reverse().map((e) => e.message);
}

async function setup(t: TestApp, wh: Target) {
  const u = await t.user();
  const s = await setupPipeline(u, {
    destination: { destinationType: "postgres", ...wh.credentials },
    connectionData: BATCH,
  });
  return { u, s };
}

Deno.test("[postgres] batch mode: nothing is written before batchSize; then exactly batchSize rows in one bulker_batch", async () => {
  const t = await testApp({ env: ENV, clock: fakeClock() });
  const wh = await pgTarget();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const { u, s } = await setup(t, wh);
    const first = await send(t, s.serverKey, 4);
    await pipeline.drain();
    assert.deepEqual(await written(wh), [], "4 of 5: nothing written yet");
    assert.deepEqual(await queued(t.deps.db), { batch: 4, other: 0 }, "the queue holds them, unacknowledged");
    assert.equal((await logOf(t, u.workspace.id, "bulker_stream", s.connectionId)).length, 0);

    const more = await send(t, s.serverKey, 3);
    await pipeline.drain();
    const rows = await written(wh);
    assert.equal(rows.length, 5, "exactly batchSize rows");
    assert.deepEqual(rows.sort(), [...first, more[0]].sort(), "the oldest five, in queue order");
    const batches = await logOf(t, u.workspace.id, "bulker_batch", s.connectionId);
    assert.equal(batches.length, 1, "one batch, one transaction");
    assert.equal(batches[0].status, "COMPLETED");
    assert.equal(batches[0].mode, "batch");
    assert.equal(batches[0].processedRows, 5);
    // Logged per batch, as Jitsu does; each event is counted in the statistics.
    assert.equal((await logOf(t, u.workspace.id, "bulker_stream", s.connectionId)).length, 0);
    assert.deepEqual(await connectionCounts(t.deps.db, s.connectionId), { delivered: 5 });
    assert.deepEqual(
      await queued(t.deps.db),
      { batch: 2, other: 0 },
      "the other two wait for the next batch",
    );
  } finally {
    await pipeline.stop();
    await wh.drop();
    await t.close();
  }
});

Deno.test("[postgres] batch mode: a failed event of a batch gets its own bulker_stream error entry; delivered ones are counted", async () => {
  const t = await testApp({ env: ENV, clock: fakeClock() });
  const wh = await pgTarget();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    // Deduplicating on user_id: an event without a userId cannot be written, and fails alone.
    const s = await setupPipeline(u, {
      destination: { destinationType: "postgres", ...wh.credentials },
      connectionData: { ...BATCH, primaryKey: "user_id", deduplicate: true },
    });
    const batch = ["u1", "u2", null, "u3", "u4"].map((userId, i) => ({
      type: "track",
      event: "Order Completed",
      messageId: `fail-${i}-${crypto.randomUUID().slice(0, 8)}`,
      ...(userId ? { userId } : { anonymousId: "a1" }),
    }));
    const res = await t.request("/v1/batch", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: { batch },
    });
    assert.equal((await expectJson(res, 200)).okEvents, 5);
    await pipeline.drain();
    assert.equal((await written(wh)).length, 4);
    const stream = await logOf(t, u.workspace.id, "bulker_stream", s.connectionId);
    assert.deepEqual(stream.map((m) => [m.status, m.messageId]), [["FAILED", batch[2].messageId]]);
    assert.match(stream[0].error, /primary key column "user_id" has no value/);
    assert.equal(JSON.parse(stream[0].original).messageId, batch[2].messageId, "the failed event itself");
    const errorsOnly = await queryEvents(t.deps.db, {
      workspaceId: u.workspace.id,
      type: "bulker_stream",
      actorId: s.connectionId,
      levels: ["error"],
    });
    assert.equal(errorsOnly.events.length, 1, "the errors-only filter names it");
    const dead = await t.deps.db.query<{ error: string }>(
      "select error from dead_letter",
    );
    assert.equal(dead.length, 1);
    assert.match(dead[0].error, /primary key column "user_id" has no value/);
    assert.deepEqual(await connectionCounts(t.deps.db, s.connectionId), {
      dead_letter: 1,
      delivered: 4,
      error: 1,
    });
  } finally {
    await pipeline.stop();
    await wh.drop();
    await t.close();
  }
});

Deno.test("[postgres] batch mode beside a stream connection: the row itself waits for one batch, a copy for the other", async () => {
  const t = await testApp({ env: ENV, clock: fakeClock() });
  const wh = await pgTarget();
  const wh2 = await pgTarget();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    // One stream: devnull in stream mode, then two warehouses in batch mode.
    const s = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    const connect = async (target: Target) => {
      const d = await createResource(u.ctx, {
        workspaceId: u.workspace.id,
        type: "destination",
        data: { name: `pg ${target.name}`, destinationType: "postgres", ...target.credentials },
      }) as { id: string };
      const c = await createResource(u.ctx, {
        workspaceId: u.workspace.id,
        type: "connection",
        data: { fromId: s.streamId, toId: d.id, type: "push", data: BATCH },
      }) as { id: string };
      return c.id;
    };
    const first = await connect(wh);
    const second = await connect(wh2);
    const ids = await send(t, s.serverKey, 4);
    await pipeline.drain();
    assert.equal((await logOf(t, u.workspace.id, "bulker_stream", s.connectionId)).length, 4, "streamed");
    const rows = await t.deps.db.query<{ connection_id: string; n: number; copies: number }>(
      `select connection_id, count(*)::int as n, count(payload)::int as copies from event_queue
        where batch group by 1`,
    );
    const by = Object.fromEntries(rows.map((r) => [r.connection_id, r]));
    assert.deepEqual(Object.keys(by).sort(), [first, second].sort());
    assert.deepEqual(await queued(t.deps.db), { batch: 8, other: 0 }, "no stream row is left");
    assert.deepEqual(
      [by[first].copies, by[second].copies].sort(),
      [0, 4],
      "one warehouse's rows are the stream rows, still referring to the event; the other gets copies",
    );
    assert.deepEqual(await written(wh), []);

    const more = await send(t, s.serverKey, 1);
    await pipeline.drain();
    for (const target of [wh, wh2]) {
      assert.deepEqual((await written(target)).sort(), [...ids, ...more].sort(), "each event once, in each");
    }
    assert.deepEqual(await queued(t.deps.db), { batch: 0, other: 0 });
    for (const conn of [first, second]) {
      const batches = await logOf(t, u.workspace.id, "bulker_batch", conn);
      assert.deepEqual(batches.map((m) => [m.status, m.successfulRows]), [["COMPLETED", 5]]);
      assert.deepEqual(await connectionCounts(t.deps.db, conn), { delivered: 5 }, "each event each got");
    }
  } finally {
    await pipeline.stop();
    await wh.drop();
    await wh2.drop();
    await t.close();
  }
});

/** Resolves once `check` holds, polling every 20 ms; fails after `ms`. */
async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Running loops that poll and look for due batches every 10 minutes: only a wake-up moves anything. */
const NO_POLL = { workers: 1, pollMs: 10 * MINUTE, batchCheckMs: 10 * MINUTE };

for (
  const [name, opts, streamToo] of [
    ["beside a stream connection (the row is parked by the chunk's commit)", {}, true],
    ["with nothing held in memory (holdRows 0)", { holdRows: 0 }, false],
  ] as const
) {
  Deno.test(`[postgres] batch mode ${name}: a parked batch that is full is written at once, not at the next poll`, async () => {
    const t = await testApp({ db: await testPostgres(), env: ENV, clock: fakeClock() });
    const wh = await pgTarget();
    const pipeline = new Pipeline(t.deps, { ...NO_POLL, ...opts });
    try {
      const key = await batchStream(t, wh, streamToo);
      await pipeline.start();
      const ids = await send(t, key, 4);
      pipeline.wake(); // as ingest's NOTIFY does
      await waitFor("4 of 5 parked", async () => (await queued(t.deps.db)).batch === 4);
      assert.deepEqual(await written(wh), [], "not a batch yet");

      const more = await send(t, key, 1);
      pipeline.wake();
      await waitFor("the full batch written", async () => (await written(wh)).length === 5);
      assert.deepEqual((await written(wh)).sort(), [...ids, ...more].sort());
      await waitFor("acknowledged", async () => (await queued(t.deps.db)).batch === 0);
    } finally {
      await pipeline.stop();
      await wh.drop();
      await t.close();
    }
  });
}

Deno.test("[postgres] batch mode: rows parked while a pass loads, with the rest it left, are written when it ends, not at the next poll", async () => {
  const t = await testApp({ db: await testPostgres(), env: ENV, clock: fakeClock() });
  const wh = await pgTarget();
  // A warehouse that holds its first write until the gate opens, and counts what it got.
  let open!: () => void;
  const gate = new Promise<void>((r) => open = r);
  const batches: number[] = [];
  let entered = 0;
  const gated: DestinationDriver = {
    type: "postgres",
    modes: ["stream", "batch"],
    async write(batch) {
      entered++;
      await gate;
      batches.push(batch.events.length);
      return batch.events.map(() => ({ status: "SUCCESS" as const }));
    },
  };
  // The pipeline's looks at the waiting batch rows (store/queue_repo.ts pendingBatchGroups, and
  // pendingBatchGroup where a pass looks again at one connection).
  let looks = 0;
  const db = afterQueries(t.deps.db, (sql) => {
    if (sql.includes("min(available_at) as oldest")) looks++;
  });
  const drivers = new Map(defaultDrivers(t.deps)).set("postgres", gated);
  const pipeline = new Pipeline({ ...t.deps, db }, { ...NO_POLL, drivers });
  try {
    const key = await batchStream(t, wh, true);
    await pipeline.start();
    // 7 parked: a pass claims 5 (held at the gate), looks again and leaves the 2 others.
    await send(t, key, 7);
    pipeline.wake();
    await waitFor("a batch of 5 loading", () => entered === 1);
    await waitFor("the second look", () => looks === 2);
    // 3 more parked while the pass waits for its batch: with the 2 it left, a batch.
    await send(t, key, 3);
    pipeline.wake();
    await waitFor("3 more parked", async () => (await queued(t.deps.db)).batch === 10);
    open();
    await waitFor("both batches written", () => batches.length === 2);
    assert.deepEqual(batches, [5, 5]);
    await waitFor("acknowledged", async () => (await queued(t.deps.db)).batch === 0);
  } finally {
    open();
    await pipeline.stop();
    await wh.drop();
    await t.close();
  }
});

Deno.test("[postgres] batch mode: a batch smaller than batchSize is flushed once the oldest waited frequency", async () => {
  const clock = fakeClock();
  const t = await testApp({ env: ENV, clock });
  const wh = await pgTarget();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const { u, s } = await setup(t, wh);
    const a = await send(t, s.serverKey, 2);
    await pipeline.drain();
    clock.advance(30 * MINUTE);
    const b = await send(t, s.serverKey, 1);
    clock.advance(30 * MINUTE - 1);
    await pipeline.drain();
    assert.deepEqual(await written(wh), [], "the oldest waited 1 ms less than frequency");
    clock.advance(1);
    await pipeline.drain();
    assert.deepEqual((await written(wh)).sort(), [...a, ...b].sort(), "all waiting events go in that batch");
    const batches = await logOf(t, u.workspace.id, "bulker_batch", s.connectionId);
    assert.deepEqual(batches.map((m) => [m.status, m.processedRows]), [["COMPLETED", 3]]);
    assert.deepEqual(await queued(t.deps.db), { batch: 0, other: 0 }, "acknowledged after the commit");
  } finally {
    await pipeline.stop();
    await wh.drop();
    await t.close();
  }
});

Deno.test("[postgres] batch mode: a batch that did not commit stays queued and is retried as one batch, each event once", async () => {
  const clock = fakeClock();
  const t = await testApp({ env: ENV, clock });
  const wh = await pgTarget();
  const drivers = defaultDrivers(t.deps);
  const real = drivers.get("postgres")!;
  let calls = 0;
  const failing: DestinationDriver = {
    ...real,
    write(batch) {
      calls++;
      if (calls > 1) return real.write(batch);
      // As a warehouse reports a rolled-back transaction: every event failed, retryable.
      return Promise.resolve(batch.events.map(() => ({
        status: "FAILED" as const,
        error: "connection lost before COMMIT",
        retryable: true,
      })));
    },
  };
  drivers.set("postgres", failing);
  const pipeline = new Pipeline(t.deps, { workers: 0, drivers });
  try {
    const { s } = await setup(t, wh);
    const ids = await send(t, s.serverKey, 5);
    await pipeline.drain();
    assert.equal(calls, 1);
    assert.deepEqual(await written(wh), []);
    const q = await t.deps.db.query<{ attempts: number; batch: boolean; connection_id: string }>(
      "select attempts, batch, connection_id from event_queue",
    );
    assert.equal(q.length, 5, "nothing acknowledged");
    assert.ok(q.every((r) => Number(r.attempts) === 1 && r.batch && r.connection_id === s.connectionId));
    clock.advance(999);
    await pipeline.drain();
    assert.equal(calls, 1, "not before its backoff");
    clock.advance(1);
    await pipeline.drain();
    assert.equal(calls, 2, "the five retry together, in one call");
    const rows = await written(wh);
    assert.deepEqual(rows.sort(), ids.sort());
    assert.deepEqual(await queued(t.deps.db), { batch: 0, other: 0 });
  } finally {
    await pipeline.stop();
    await wh.drop();
    await t.close();
  }
});

Deno.test("[postgres] batch mode: waiting events go at once when the connection switches to stream, and are dropped when it is disabled", async () => {
  const t = await testApp({ env: ENV, clock: fakeClock() });
  const wh = await pgTarget();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const { u, s } = await setup(t, wh);
    const ids = await send(t, s.serverKey, 2);
    await pipeline.drain();
    assert.deepEqual(await written(wh), []);
    const patch = (data: Record<string, unknown>) =>
      updateResource(u.ctx, {
        workspaceId: u.workspace.id,
        type: "connection",
        id: s.connectionId,
        data: { data },
      });
    await patch({ mode: "stream" });
    await pipeline.drain();
    assert.deepEqual((await written(wh)).sort(), ids.sort());
    const streamed = await send(t, s.serverKey, 1);
    await pipeline.drain();
    assert.deepEqual((await written(wh)).sort(), [...ids, ...streamed].sort(), "stream mode: as it comes");
    const stream = await logOf(t, u.workspace.id, "bulker_stream", s.connectionId);
    assert.deepEqual(stream.map((m) => m.status), ["SUCCESS", "SUCCESS", "SUCCESS"]);
    assert.equal(
      (await logOf(t, u.workspace.id, "bulker_batch", s.connectionId)).length,
      0,
      "written in stream mode",
    );

    await patch({ mode: "batch" });
    await send(t, s.serverKey, 1);
    await pipeline.drain();
    assert.deepEqual(await queued(t.deps.db), { batch: 1, other: 0 });
    await patch({ disabled: true });
    await pipeline.drain();
    assert.deepEqual(await queued(t.deps.db), { batch: 0, other: 0 }, "a disabled connection gets nothing");
    assert.equal((await written(wh)).length, 3);
  } finally {
    await pipeline.stop();
    await wh.drop();
    await t.close();
  }
});

const CHILD = new URL("./_batch_crash_child.ts", import.meta.url).pathname;
/** The child's lease (its Pipeline's default leaseMs). */
const CHILD_LEASE_MS = 60_000;

/** Runs a pipeline in a child that flushes one batch and stops at `stop`; SIGKILLs it there. */
async function killMidBatch(
  storeUrl: string,
  now: Date,
  stop: string,
  marker: string,
  how: "flush" | "claim" = "flush",
): Promise<void> {
  // The child's clock runs from the parent's fake time, so it sees the rows as the parent does.
  const offsetMs = now.getTime() - Date.now();
  await runUntilThenKill([CHILD, storeUrl, String(offsetMs), stop, how], marker);
}

Deno.test("[postgres] batch mode: a process killed mid-batch loses nothing, and the rerun writes each event once", async () => {
  const db = await testPostgres();
  const clock = fakeClock();
  const t = await testApp({ db, env: ENV, clock });
  const wh = await pgTarget();
  try {
    const { s } = await setup(t, wh);
    const ids = await send(t, s.serverKey, 5);
    // Only turned into the connection's waiting batch rows: the children flush them.
    assert.equal(await parkOnly(t), 5);

    // Killed after its INSERTs, before COMMIT: nothing in the warehouse, everything still queued.
    await killMidBatch(db.url, clock.now(), "mid-transaction", "inserted");
    assert.deepEqual(await written(wh), []);
    assert.deepEqual(await queued(db), { batch: 5, other: 0 });
    const again = new Pipeline(t.deps, { workers: 0 });
    try {
      await again.drain();
      assert.deepEqual(await written(wh), [], "the dead instance's lease keeps the rows until it ends");
      clock.advance(CHILD_LEASE_MS + 30_000); // the child's lease ended (it started within 30 s)
      await again.drain();
      assert.deepEqual((await written(wh)).sort(), ids.sort());
      assert.deepEqual(await queued(db), { batch: 0, other: 0 });
    } finally {
      await again.stop();
    }

    // Killed after COMMIT, before the acknowledgement: redelivered, and deduplication keeps one row each.
    const more = await send(t, s.serverKey, 5);
    assert.equal(await parkOnly(t), 5);
    const third = new Pipeline(t.deps, { workers: 0 });
    try {
      await killMidBatch(db.url, clock.now(), "after-commit", "committed");
      assert.equal((await written(wh)).length, 10, "the killed batch committed");
      assert.deepEqual(await queued(db), { batch: 5, other: 0 }, "but was not acknowledged");
      await third.drain();
      assert.equal((await written(wh)).length, 10, "leased by the dead instance");
      clock.advance(CHILD_LEASE_MS + 30_000);
      await third.drain();
      const rows = await written(wh);
      assert.deepEqual(rows.sort(), [...ids, ...more].sort(), "each event exactly once");
      assert.deepEqual(await queued(db), { batch: 0, other: 0 });
    } finally {
      await third.stop();
    }
  } finally {
    await wh.drop();
    await t.close();
  }
});

Deno.test("[postgres] batch mode: a process killed mid-batch of rows it held in memory loses nothing; the rerun writes each once", async () => {
  const db = await testPostgres();
  const clock = fakeClock();
  const t = await testApp({ db, env: ENV, clock });
  const wh = await pgTarget();
  try {
    const { s } = await setup(t, wh);
    const ids = await send(t, s.serverKey, 5);
    // The child claims the five stream rows, holds them as one batch and is killed while writing it.
    await killMidBatch(db.url, clock.now(), "mid-transaction", "inserted", "claim");
    assert.deepEqual(await written(wh), []);
    assert.deepEqual(await queued(db), { batch: 0, other: 5 }, "still the stream rows, leased by the child");
    const again = new Pipeline(t.deps, { workers: 0 });
    try {
      await again.drain();
      assert.deepEqual(await written(wh), [], "the dead instance's lease keeps the rows until it ends");
      clock.advance(CHILD_LEASE_MS + 30_000);
      await again.drain();
      assert.deepEqual((await written(wh)).sort(), ids.sort());
      assert.deepEqual(await queued(db), { batch: 0, other: 0 });
    } finally {
      await again.stop();
    }

    // Killed after the warehouse committed, before the queue rows were deleted: written again, deduplicated.
    const more = await send(t, s.serverKey, 5);
    await killMidBatch(db.url, clock.now(), "after-commit", "committed", "claim");
    assert.equal((await written(wh)).length, 10, "the killed batch committed");
    assert.deepEqual(await queued(db), { batch: 0, other: 5 }, "but was not acknowledged");
    const third = new Pipeline(t.deps, { workers: 0 });
    try {
      clock.advance(CHILD_LEASE_MS + 30_000);
      await third.drain();
      const rows = await written(wh);
      assert.deepEqual(rows.sort(), [...ids, ...more].sort(), "each event exactly once");
      assert.deepEqual(await queued(db), { batch: 0, other: 0 });
    } finally {
      await third.stop();
    }
  } finally {
    await wh.drop();
    await t.close();
  }
});

Deno.test("[postgres] batch mode: two instances flushing one connection write each event once, in batches of batchSize", async () => {
  const db1 = await testPostgres();
  const db2 = openPostgres(db1.url, { max: 4 });
  const clock = fakeClock();
  const a = await testApp({ db: db1, env: ENV, clock });
  const b = await testApp({ db: db2, env: ENV, clock });
  const wh = await pgTarget();
  const pa = new Pipeline(a.deps, { workers: 0, batchSize: 10 });
  const pb = new Pipeline(b.deps, { workers: 0, batchSize: 10 });
  try {
    const { u, s } = await setup(a, wh);
    const ids = [...await send(a, s.serverKey, 12), ...await send(b, s.serverKey, 11)];
    await Promise.all([pa.drain(), pb.drain(), pa.drain(), pb.drain()]);
    assert.equal((await written(wh)).length, 20, "four full batches; three wait");
    const sized = await logOf(a, u.workspace.id, "bulker_batch", s.connectionId);
    assert.deepEqual(sized.map((m) => m.processedRows), [5, 5, 5, 5], "never a partial batch early");
    clock.advance(60 * MINUTE);
    await Promise.all([pa.drain(), pb.drain()]);
    const rows = await written(wh);
    assert.equal(rows.length, 23);
    assert.deepEqual(rows.sort(), ids.sort(), "each event once");
    assert.deepEqual(await queued(db1), { batch: 0, other: 0 });
  } finally {
    await pa.stop();
    await pb.stop();
    await wh.drop();
    await b.close();
    await a.close();
  }
});
