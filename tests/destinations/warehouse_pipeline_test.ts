/**
 * End to end: ingest -> queue -> functions -> warehouse driver -> real PostgreSQL / MariaDB, with the
 * write statuses in Live Events. Uses the pipeline's own fixtures (tests/pipeline/fixtures.ts).
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { updateResource } from "../../src/services/resources.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { connectionCounts, setupPipeline } from "../pipeline/fixtures.ts";
import { TARGETS } from "./_targets.ts";

// Batch mode is the warehouse default (batchSize 10000, frequency 5 minutes): tests move the clock
// past the frequency so the pipeline flushes what waits (tests/pipeline/batch_mode_test.ts).
const FREQUENCY_MS = 5 * 60_000;

const ENV = { PIPELINE_RETRIES: "2", PIPELINE_RETRY_BASE_MS: "1000", FUNCTIONS_TIMEOUT_MS: "2000" };

async function send(t: TestApp, key: string, body: unknown) {
  const res = await t.request("/api/s/s2s/track", {
    method: "POST",
    headers: { "x-write-key": key },
    json: body,
  });
  await expectJson(res, 200);
}

// Live Events messages are JSON of several shapes; tests read them loosely.
// deno-lint-ignore no-explicit-any
type Logged = { level: string; message: any };

async function logOf(
  t: TestApp,
  workspaceId: string,
  type: "bulker_stream" | "bulker_batch",
  actorId: string,
  levels?: ("info" | "error")[],
): Promise<Logged[]> {
  const page = await queryEvents(t.deps.db, { workspaceId, type, actorId, levels, limit: 100 });
  return page.events.reverse() as Logged[];
}

for (const { name, open } of TARGETS) {
  Deno.test(`[${name}] ingested events land in the warehouse, $table from a function, resends deduplicated`, async () => {
    const clock = fakeClock();
    const t = await testApp({ env: ENV, clock });
    const wh = await open();
    const pipeline = new Pipeline(t.deps, { workers: 0 });
    try {
      const u = await t.user();
      const s = await setupPipeline(u, {
        destination: { destinationType: name, ...wh.credentials },
        functionCode: `export default async function (event) {
  if (event.event === "Signed Up") event.$table = "signups";
}`,
      });
      await send(t, s.serverKey, {
        event: "Signed Up",
        userId: "u1",
        messageId: "m-1",
        properties: { plan: "pro" },
      });
      await send(t, s.serverKey, { event: "Clicked", userId: "u1", messageId: "m-2", properties: { x: 1 } });
      await pipeline.drain();
      clock.advance(FREQUENCY_MS);
      await pipeline.drain();
      const signups = await wh.rows("signups");
      assert.deepEqual(signups.map((r) => [r.message_id, r.plan, r.event]), [["m-1", "pro", "Signed Up"]]);
      assert.equal(Object.keys(signups[0]).some((c) => c.includes("table")), false, "$table is not stored");
      assert.deepEqual((await wh.rows("events")).map((r) => r.message_id), ["m-2"]);

      // Batch mode (the warehouse default) logs each batch's tables as bulker_batch, as Jitsu does, and a
      // delivered event has no bulker_stream entry of its own; the statistics still count each event.
      const batches = await logOf(t, u.workspace.id, "bulker_batch", s.connectionId);
      assert.deepEqual(
        batches.map((
          b,
        ) => [b.level, b.message.status, b.message.representation.name, b.message.successfulRows]),
        [["info", "COMPLETED", "signups", 1], ["info", "COMPLETED", "events", 1]],
      );
      assert.equal(batches[0].message.lastMappedRow.message_id, "m-1");
      assert.deepEqual(await logOf(t, u.workspace.id, "bulker_stream", s.connectionId), []);
      assert.deepEqual(await connectionCounts(t.deps.db, s.connectionId), { delivered: 2 });

      // The SDK retried: same messageId again. Still one row, now with the new property value.
      await send(t, s.serverKey, {
        event: "Signed Up",
        userId: "u1",
        messageId: "m-1",
        properties: { plan: "team" },
      });
      await pipeline.drain();
      clock.advance(FREQUENCY_MS);
      await pipeline.drain();
      assert.deepEqual((await wh.rows("signups")).map((r) => [r.message_id, r.plan]), [["m-1", "team"]]);
      assert.deepEqual(await connectionCounts(t.deps.db, s.connectionId), { delivered: 3 }, "each delivery");
    } finally {
      await pipeline.stop();
      await wh.drop();
      await t.close();
    }
  });

  Deno.test(`[${name}] an ingested property named _unmapped_data lands as sent, not as the core's own JSON`, async () => {
    const clock = fakeClock();
    const t = await testApp({ env: ENV, clock });
    const wh = await open();
    const pipeline = new Pipeline(t.deps, { workers: 0 });
    try {
      const u = await t.user();
      const s = await setupPipeline(u, { destination: { destinationType: name, ...wh.credentials } });
      await send(t, s.serverKey, { event: "A", messageId: "m-1", properties: { _unmapped_data: "x" } });
      await send(t, s.serverKey, { event: "B", messageId: "m-2", properties: { _unmapped_data: ["y", 1] } });
      await send(t, s.serverKey, { event: "C", messageId: "m-3", properties: { _unmapped: { data: 3 } } });
      await pipeline.drain();
      clock.advance(FREQUENCY_MS);
      await pipeline.drain();
      const rows = await wh.rows("events");
      assert.deepEqual(rows.map((r) => [r.message_id, r._unmapped_data]), [
        ["m-1", "x"],
        ["m-2", '["y",1]'],
        ["m-3", "3"],
      ]);
      // Live Events show the batch's last row as written (bulker_batch's lastMappedRow).
      const batches = await logOf(t, u.workspace.id, "bulker_batch", s.connectionId);
      assert.deepEqual(batches.map((e) => [e.message.status, e.message.lastMappedRow._unmapped_data]), [
        ["COMPLETED", 3],
      ]);
    } finally {
      await pipeline.stop();
      await wh.drop();
      await t.close();
    }
  });
}

Deno.test("[mysql] a wrong password shows in Live Events as FAILED at level error, and the event is retried", async () => {
  const clock = fakeClock();
  const t = await testApp({ env: ENV, clock });
  const wh = await TARGETS[1].open();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "mysql", ...wh.credentials } });
    await updateResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      id: s.destinationId,
      data: { password: "wrong-password" },
    });
    await send(t, s.serverKey, { event: "Clicked", messageId: "m-9" });
    await pipeline.drain();
    clock.advance(FREQUENCY_MS);
    await pipeline.drain();
    const errors = await logOf(t, u.workspace.id, "bulker_stream", s.connectionId, ["error"]);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message.status, "FAILED");
    assert.match(errors[0].message.error, /access denied for user "root" \(wrong username or password\)/);
    assert.ok(!JSON.stringify(errors).includes("wrong-password"), "the password never reaches Live Events");
    const batchErrors = await logOf(t, u.workspace.id, "bulker_batch", s.connectionId, ["error"]);
    assert.equal(batchErrors[0]?.message.status, "FAILED");
    assert.deepEqual(await connectionCounts(t.deps.db, s.connectionId), { error: 1 });
    const queued = await t.deps.db.query<{ n: number }>("select count(*)::int as n from event_queue");
    assert.equal(Number(queued[0].n), 1, "not acknowledged: waiting for its retry");
  } finally {
    await pipeline.stop();
    await wh.drop();
    await t.close();
  }
});
