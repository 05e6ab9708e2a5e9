/** Whatever fails in processing fails alone: its batch-mates are delivered, it counts as an attempt. */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import type { DestinationDriver } from "../../src/destinations/driver.ts";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { insertQueueRows } from "../../src/store/queue_repo.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { setupPipeline, startReceiver } from "./fixtures.ts";

const ENV = { PIPELINE_RETRIES: "2", PIPELINE_RETRY_BASE_MS: "1000" };

async function send(t: TestApp, key: string, body: unknown) {
  return await t.request("/api/s/s2s/track", { method: "POST", headers: { "x-write-key": key }, json: body });
}

/** An event nested `depth` levels, as a queue payload's JSON text (built as text: no recursion). */
function deepPayload(depth: number, messageId: string): string {
  const event = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
  return `{"event":{"type":"track","messageId":"${messageId}","deep":${event}},"ingestType":"s2s",` +
    `"messageId":"${messageId}","headers":{},"receivedAt":"2026-05-01T00:00:00.000Z"}`;
}

Deno.test("a 100,000-level event queued before the depth limit is dead-lettered alone; its batch-mates are delivered", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
    await expectJson(await send(t, s.serverKey, { event: "before", messageId: "n-1" }), 200);
    // Bypasses ingest, as a row written before ingest refused deep events.
    await insertQueueRows(t.deps.db, [{
      workspaceId: u.workspace.id,
      streamId: s.streamId,
      connectionId: null,
      payloadJson: deepPayload(100_000, "deep-1"),
      attempts: 0,
      availableAt: new Date(0),
    }]);
    await expectJson(await send(t, s.serverKey, { event: "after", messageId: "n-2" }), 200);

    await pipeline.drain();
    assert.deepEqual(
      rx.bodies.map((b) => b.messageId).sort(),
      ["n-1", "n-2"],
      "normal events delivered at once",
    );
    assert.equal(pipeline.totals.delivered, 2);
    assert.equal(pipeline.totals.deadLettered, 1);
    const q = await t.deps.db.query("select 1 from event_queue");
    assert.equal(q.length, 0, "nothing left to retry forever");
    const dead = await t.deps.db.query<
      { attempts: number; error: string; connection_id: string; payload: string }
    >(
      "select attempts, error, connection_id, payload from dead_letter",
    );
    assert.equal(dead.length, 1);
    assert.equal(Number(dead[0].attempts), 1, "the failure counts as an attempt");
    assert.equal(dead[0].connection_id, s.connectionId);
    assert.match(dead[0].error, /RangeError: Maximum call stack size exceeded/);
    assert.equal(dead[0].payload.length, deepPayload(100_000, "deep-1").length, "the event is kept whole");
    const dl = await queryEvents(t.deps.db, {
      workspaceId: u.workspace.id,
      type: "dead-letter",
      actorId: s.connectionId,
      limit: 10,
    });
    assert.equal(dl.events.length, 1);
    // deno-lint-ignore no-explicit-any
    assert.match((dl.events[0].message as any).error, /RangeError/);
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

/** A devnull stand-in that throws whenever the batch holds an event named "explode". */
function throwingDriver(): DestinationDriver & { calls: number } {
  const d = {
    type: "devnull",
    modes: ["stream", "batch"] as const,
    calls: 0,
    write(batch: { events: Record<string, unknown>[] }) {
      d.calls++;
      if (batch.events.some((e) => e.event === "explode")) return Promise.reject(new Error("driver bug"));
      return Promise.resolve(batch.events.map(() => ({ status: "SUCCESS" as const })));
    },
  };
  return d;
}

Deno.test("a driver that throws for one event fails only that event: retried with attempts counted, then dead-lettered", async () => {
  const clock = fakeClock(new Date("2026-05-01T00:00:00Z"));
  const t = await testApp({ env: ENV, clock });
  const driver = throwingDriver();
  const pipeline = new Pipeline(t.deps, { workers: 0, drivers: new Map([["devnull", driver]]) });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    for (const event of ["ok-1", "explode", "ok-2"]) {
      await expectJson(await send(t, s.serverKey, { event, messageId: event }), 200);
    }
    await pipeline.drain();
    assert.equal(pipeline.totals.delivered, 2, "its batch-mates are delivered");
    let q = await t.deps.db.query<{ attempts: number; last_error: string | null }>(
      "select attempts from event_queue",
    );
    assert.deepEqual(q.map((r) => Number(r.attempts)), [1]);
    clock.advance(1000);
    await pipeline.drain();
    clock.advance(4000);
    await pipeline.drain();
    q = await t.deps.db.query("select attempts from event_queue");
    assert.equal(q.length, 0);
    const dead = await t.deps.db.query<{ attempts: number; error: string; payload: string }>(
      "select attempts, error, payload from dead_letter",
    );
    assert.equal(dead.length, 1);
    assert.equal(Number(dead[0].attempts), 3);
    assert.match(dead[0].error, /Driver devnull failed: Error: driver bug/);
    assert.equal(JSON.parse(dead[0].payload).messageId, "explode");
  } finally {
    await pipeline.stop();
    await t.close();
  }
});
