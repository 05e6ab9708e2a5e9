/**
 * End to end: ingest -> queue -> functions -> driver -> a real clickhouse-server and s3rver, in stream
 * and batch mode, with resends deduplicated, new properties adding columns, and failures in Live Events
 * with the server's own error text.
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import type { DestinationDriver } from "../../src/destinations/driver.ts";
import { s3Driver } from "../../src/destinations/s3/driver.ts";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { updateResource } from "../../src/services/resources.ts";
import { clickhouseServer } from "../_helpers/clickhouse.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { startS3 } from "../_helpers/s3.ts";
import { connectionCounts, setupPipeline } from "../pipeline/fixtures.ts";

const server = await clickhouseServer();
const FREQUENCY_MS = 5 * 60_000;
const ENV = { PIPELINE_RETRIES: "2", PIPELINE_RETRY_BASE_MS: "1000", FUNCTIONS_TIMEOUT_MS: "2000" };

async function send(t: TestApp, key: string, body: unknown) {
  await expectJson(
    await t.request("/api/s/s2s/track", { method: "POST", headers: { "x-write-key": key }, json: body }),
    200,
  );
}

// deno-lint-ignore no-explicit-any
type Logged = { level: string; message: any };

async function logOf(
  t: TestApp,
  workspaceId: string,
  type: string,
  actorId: string,
  levels?: ("info" | "error")[],
) {
  const page = await queryEvents(t.deps.db, {
    workspaceId,
    type: type as "bulker_stream",
    actorId,
    levels,
    limit: 100,
  });
  return page.events.reverse() as Logged[];
}

for (const mode of ["stream", "batch"] as const) {
  Deno.test(`[clickhouse ${mode}] ingested events land in ClickHouse; resends deduplicated; new properties add columns`, async () => {
    const clock = fakeClock();
    const t = await testApp({ env: ENV, clock });
    const db = await server.database();
    const pipeline = new Pipeline(t.deps, { workers: 0 });
    const flush = async () => {
      await pipeline.drain();
      clock.advance(FREQUENCY_MS);
      await pipeline.drain();
    };
    try {
      const u = await t.user();
      const s = await setupPipeline(u, {
        destination: { destinationType: "clickhouse", ...db.credentials },
        connectionData: { mode, primaryKey: "message_id" },
        functionCode: `export default async function (event) { event.properties.seen = true; }`,
      });
      await send(t, s.serverKey, { event: "Clicked", userId: "u1", messageId: "m-1", properties: { x: 1 } });
      await send(t, s.serverKey, { event: "Clicked", userId: "u2", messageId: "m-2", properties: { x: 2 } });
      await flush();
      // The SDK retried m-1 with a new value, and m-3 brings a property the table has not seen.
      await send(t, s.serverKey, { event: "Clicked", userId: "u1", messageId: "m-1", properties: { x: 10 } });
      await send(t, s.serverKey, {
        event: "Bought",
        userId: "u3",
        messageId: "m-3",
        properties: { sku: "A-1" },
      });
      await flush();
      const rows = await server.query(
        `SELECT message_id, x, seen, sku FROM ${db.name}.events FINAL ORDER BY message_id`,
      );
      // JSON output quotes Int64 (output_format_json_quote_64bit_integers).
      assert.deepEqual(rows.map((r) => [r.message_id, r.x === null ? null : Number(r.x), r.seen, r.sku]), [
        ["m-1", 10, 1, null],
        ["m-2", 2, 1, null],
        ["m-3", null, 1, "A-1"],
      ]);
      // Stream mode logs each event (bulker_stream); batch mode each batch's table (bulker_batch), and a
      // delivered event no more, as in Jitsu. The statistics count each event in both.
      const stream = await logOf(t, u.workspace.id, "bulker_stream", s.connectionId);
      assert.equal(stream.length, mode === "stream" ? 4 : 0);
      assert.ok(stream.every((e) => e.level === "info" && e.message.status === "SUCCESS"));
      if (mode === "stream") assert.equal(stream[0].message.representation.name, "events");
      const batches = await logOf(t, u.workspace.id, "bulker_batch", s.connectionId);
      assert.equal(batches.length > 0, mode === "batch", "bulker_batch only in batch mode");
      if (mode === "batch") {
        assert.deepEqual(batches.map((b) => [b.message.representation.name, b.message.successfulRows]), [
          ["events", 2],
          ["events", 2],
        ]);
      }
      assert.deepEqual(await connectionCounts(t.deps.db, s.connectionId), { delivered: 4 });
    } finally {
      await pipeline.stop();
      await db.drop();
      await t.close();
    }
  });
}

Deno.test("[clickhouse] a wrong password shows in Live Events with ClickHouse's text, and the event waits for its retry", async () => {
  const clock = fakeClock();
  const t = await testApp({ env: ENV, clock });
  const db = await server.database();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "clickhouse", ...db.credentials } });
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
    assert.match(errors[0].message.error, /Code: 193\. DB::Exception: Wrong password for user sluice/);
    assert.ok(!JSON.stringify(errors).includes("wrong-password"), "the password never reaches Live Events");
    const queued = await t.deps.db.query<{ n: number }>("select count(*)::int as n from event_queue");
    assert.equal(Number(queued[0].n), 1, "not acknowledged: waiting for its retry");
  } finally {
    await pipeline.stop();
    await db.drop();
    await t.close();
  }
});

Deno.test("[s3] ingested events become one batch file; a missing bucket is a FAILED batch in Live Events", async () => {
  const clock = fakeClock(new Date("2026-05-06T07:08:09.010Z"));
  const t = await testApp({ env: ENV, clock });
  const s3 = await startS3();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "s3", ...s3.credentials, folder: "jitsu", compression: "none" },
    });
    for (let i = 0; i < 3; i++) {
      await send(t, s.serverKey, { event: "Clicked", messageId: `m-${i}`, properties: { i } });
    }
    await pipeline.drain();
    assert.deepEqual(await s3.keys(), [], "batch mode waits for the frequency");
    clock.advance(FREQUENCY_MS);
    await pipeline.drain();
    const keys = await s3.keys();
    assert.equal(keys.length, 1);
    assert.match(keys[0], /^jitsu\/events\/20260506T0713\d\d\.\d{3}Z_[0-9a-f]{16}\.ndjson$/);
    const lines = new TextDecoder().decode(await s3.object(keys[0])).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(lines.map((l) => l.properties.i).sort(), [0, 1, 2]);
    const batches = await logOf(t, u.workspace.id, "bulker_batch", s.connectionId);
    assert.deepEqual(batches.map((b) => [b.message.status, b.message.processedRows]), [["COMPLETED", 3]]);
    assert.deepEqual(await logOf(t, u.workspace.id, "bulker_stream", s.connectionId), [], "logged per file");
    assert.deepEqual(await connectionCounts(t.deps.db, s.connectionId), { delivered: 3 });
    assert.equal(batches[0].message.representation.name, `s3://${s3.bucket}/${keys[0]}`);

    await updateResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      id: s.destinationId,
      data: { bucket: "gone-bucket" },
    });
    await send(t, s.serverKey, { event: "Clicked", messageId: "m-x" });
    await pipeline.drain();
    clock.advance(FREQUENCY_MS);
    await pipeline.drain();
    const errors = await logOf(t, u.workspace.id, "bulker_stream", s.connectionId, ["error"]);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message.error, /NoSuchBucket: The specified bucket does not exist \(HTTP 404\)/);
  } finally {
    await pipeline.stop();
    await s3.close();
    await t.close();
  }
});

Deno.test("[s3] the pipeline hands the driver the queued text of events no function ran on", async () => {
  const clock = fakeClock(new Date("2026-05-06T07:08:09.010Z"));
  const t = await testApp({ env: ENV, clock });
  const s3 = await startS3();
  const inner = s3Driver();
  const given: { connectionId: string; texts: (string | undefined)[]; events: string[] }[] = [];
  const recording: DestinationDriver = {
    ...inner,
    write(batch) {
      given.push({
        connectionId: batch.connection.id,
        texts: batch.events.map((_, i) => batch.eventText?.(i)),
        events: batch.events.map((e) => JSON.stringify(e)),
      });
      return inner.write(batch);
    },
  };
  const pipeline = new Pipeline(t.deps, { workers: 0, drivers: new Map([["s3", recording]]) });
  try {
    const u = await t.user();
    const destination = { destinationType: "s3", ...s3.credentials, compression: "none" };
    const plain = await setupPipeline(u, { destination: { ...destination, folder: "plain" } });
    const fn = await setupPipeline(u, {
      destination: { ...destination, folder: "fn" },
      functionCode: "export default (e) => ({ ...e, added: 1 })",
    });
    for (const key of [plain.serverKey, fn.serverKey]) {
      await send(t, key, {
        event: "Clicked",
        messageId: `m-${key.slice(0, 8)}`,
        properties: { n: [1, "2"] },
      });
    }
    await pipeline.drain();
    clock.advance(FREQUENCY_MS);
    await pipeline.drain();
    const byConn = new Map(given.map((g) => [g.connectionId, g]));
    const p = byConn.get(plain.connectionId)!;
    assert.equal(p.texts.length, 1);
    assert.equal(p.texts[0], p.events[0], "the queued text is the event's JSON");
    assert.deepEqual(byConn.get(fn.connectionId)!.texts, [undefined], "a function ran: no text");
    const plainKey = (await s3.keys()).find((k) => k.startsWith("plain/"))!;
    assert.equal(new TextDecoder().decode(await s3.object(plainKey)), `${p.texts[0]}\n`);
  } finally {
    await pipeline.stop();
    await s3.close();
    await t.close();
  }
});
