import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { setupPipeline, startReceiver } from "./fixtures.ts";

const ENV = { PIPELINE_RETRIES: "2", PIPELINE_RETRY_BASE_MS: "1000", FUNCTIONS_TIMEOUT_MS: "1000" };

async function send(t: TestApp, key: string, body: unknown, path = "/api/s/s2s/track") {
  return await t.request(path, { method: "POST", headers: { "x-write-key": key }, json: body });
}

async function entries(t: TestApp, workspaceId: string, type: string, actorId: string) {
  const page = await queryEvents(t.deps.db, { workspaceId, type: type as "incoming", actorId, limit: 100 });
  // deno-lint-ignore no-explicit-any
  return page.events.reverse() as any[];
}

Deno.test("an ingested event goes through the function to the webhook, with Live Events at each step", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: rx.url },
      functionCode: `export default async function (event, ctx) {
  ctx.log.info("transforming", event.event);
  return { ...event, enriched: ctx.props.PLAN };
}`,
      functionsEnv: { PLAN: "pro" },
    });
    const res = await send(t, s.serverKey, { event: "Signed Up", userId: "u1", messageId: "m-1" });
    const body = await expectJson(res, 200);
    assert.deepEqual(body, { ok: true, messageId: "m-1" });
    assert.equal(await pipeline.drain(), undefined);
    assert.equal(rx.bodies.length, 1);
    const got = rx.bodies[0];
    assert.equal(got.event, "Signed Up");
    assert.equal(got.enriched, "pro");
    assert.equal(got.type, "track");
    assert.equal(got.messageId, "m-1");
    assert.ok(typeof got.receivedAt === "string");

    const incoming = await entries(t, u.workspace.id, "incoming", s.streamId);
    assert.equal(incoming.length, 1);
    assert.equal(incoming[0].message.status, "SUCCESS");
    assert.deepEqual(incoming[0].message.asyncDestinations, [s.connectionId]);
    const parsed = JSON.parse(incoming[0].message.body);
    assert.equal(parsed.writeKey, `${s.serverKey.split(":")[0]}:***`);
    assert.equal(parsed.httpHeaders["x-write-key"], "***", "the key never reaches Live Events");

    const fn = await entries(t, u.workspace.id, "function", s.connectionId);
    assert.equal(fn[0].message.type, "log-info");
    assert.deepEqual(fn[0].message.message, { text: "transforming", args: ["Signed Up"] });
    assert.equal(fn[0].message.functionId, `udf.${s.functionId}`);

    const delivered = await entries(t, u.workspace.id, "bulker_stream", s.connectionId);
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0].message.status, "SUCCESS");
    assert.equal(delivered[0].message.target, rx.url);
    assert.equal(JSON.parse(delivered[0].message.original).enriched, "pro");
    const left = await t.deps.db.query<{ n: number }>("select count(*)::int as n from event_queue");
    assert.equal(Number(left[0].n), 0, "processed rows leave the queue");
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("a 5xx is retried with backoff, then dead-lettered; replay delivers it", async () => {
  const clock = fakeClock(new Date("2026-05-01T00:00:00Z"));
  const t = await testApp({ env: ENV, clock });
  const rx = startReceiver();
  rx.respond = () => 503;
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
    await expectJson(await send(t, s.serverKey, { event: "Paid", messageId: "pay-1" }), 200);
    await pipeline.drain();
    let q = await t.deps.db.query<{ attempts: number; connection_id: string }>(
      "select attempts, connection_id from event_queue",
    );
    assert.deepEqual(q.map((r) => [Number(r.attempts), r.connection_id]), [[1, s.connectionId]]);
    await pipeline.drain();
    assert.equal(pipeline.totals.retried, 1, "not ready before its backoff");
    clock.advance(1000);
    await pipeline.drain();
    q = await t.deps.db.query("select attempts from event_queue");
    assert.deepEqual(q.map((r) => Number(r.attempts)), [2]);
    clock.advance(3999);
    assert.equal(await pipeline.runOnce(), 0, "second retry waits 4 x base");
    clock.advance(1);
    await pipeline.drain();
    q = await t.deps.db.query("select attempts from event_queue");
    assert.equal(q.length, 0);
    const dead = await t.deps.db.query<{ attempts: number; error: string }>(
      "select attempts, error from dead_letter",
    );
    assert.equal(dead.length, 1);
    assert.equal(Number(dead[0].attempts), 3);
    assert.match(dead[0].error, /Webhook answered 503/);
    const dl = await entries(t, u.workspace.id, "dead-letter", s.connectionId);
    assert.equal(dl.length, 1);
    assert.equal(dl[0].message.payload.event, "Paid");
    const fn = await entries(t, u.workspace.id, "function", s.connectionId);
    assert.deepEqual(fn.map((e) => e.message.message.text.split(":")[0]), [
      "Retry attempt",
      "Retry attempt",
      "Putting to dead-letter queue.",
    ]);

    rx.respond = () => 200;
    const replay = await expectJson(
      await t.request(`/api/${u.workspace.id}/dead-letter/replay`, {
        method: "POST",
        headers: { authorization: u.auth },
        json: { connectionId: s.connectionId },
      }),
      200,
    );
    assert.equal(replay.replayed, 1);
    await pipeline.drain();
    assert.equal(rx.bodies.length, 1);
    assert.equal(rx.bodies[0].messageId, "pay-1");
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("a 4xx is not retried: it goes to the dead letter at once", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  rx.respond = () => 422;
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
    await expectJson(await send(t, s.serverKey, { event: "Bad" }), 200);
    await pipeline.drain();
    assert.equal(pipeline.totals.retried, 0);
    assert.equal(pipeline.totals.deadLettered, 1);
    const stream = await entries(t, u.workspace.id, "bulker_stream", s.connectionId);
    assert.equal(stream[0].message.status, "FAILED");
    assert.match(stream[0].message.error, /422/);
    assert.equal(stream[0].level, "error");
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("a throwing function is logged with its line and the event goes on unchanged; drops are logged", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: rx.url },
      functionCode: `export default function (event) {
  if (event.event === "drop me") return "drop";
  return event.properties.missing.field; // line 3
}`,
    });
    await expectJson(await send(t, s.serverKey, { event: "boom", properties: {} }), 200);
    await expectJson(await send(t, s.serverKey, { event: "drop me" }), 200);
    await pipeline.drain();
    assert.equal(rx.bodies.length, 1);
    assert.equal(rx.bodies[0].event, "boom");
    const fn = await entries(t, u.workspace.id, "function", s.connectionId);
    const err = fn.find((e) => e.level === "error");
    assert.equal(err.message.message.text, "Function execution failed");
    assert.equal(err.message.error.line, 3);
    assert.match(err.message.error.stack, new RegExp(`udf\\.${s.functionId}\\.js:3:`));
    const drop = fn.find((e) => e.message.dropped);
    assert.match(drop.message.message.text, /dropped/);
    const errorsOnly = await queryEvents(t.deps.db, {
      workspaceId: u.workspace.id,
      type: "function",
      actorId: s.connectionId,
      levels: ["error"],
    });
    assert.equal(errorsOnly.events.length, 1);
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("an event for a stream without connections is SKIPPED and not queued", async () => {
  const t = await testApp({ env: ENV });
  try {
    const u = await t.user();
    const { createResource } = await import("../../src/services/resources.ts");
    const stream = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "stream",
      data: { name: "lonely", privateKeys: [{ id: "sk-lonely", plaintext: "lonely-secret-0123456789" }] },
    }) as { id: string };
    const body = await expectJson(await send(t, "sk-lonely:lonely-secret-0123456789", { event: "x" }), 200);
    assert.equal(body.ok, true);
    assert.match(body.skipped, /no destinations found for stream/);
    const q = await t.deps.db.query("select 1 from event_queue");
    assert.equal(q.length, 0);
    const incoming = await entries(t, u.workspace.id, "incoming", stream.id);
    assert.equal(incoming[0].message.status, "SKIPPED");
  } finally {
    await t.close();
  }
});

Deno.test("a queued event whose incoming entry was deleted past the database's refusal is dropped with an error log; the rest go on", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
    await expectJson(await send(t, s.serverKey, { event: "gone", messageId: "m-gone" }), 200);
    await expectJson(await send(t, s.serverKey, { event: "kept", messageId: "m-kept" }), 200);
    await assert.rejects(
      t.deps.db.query("delete from events_log where message like '%m-gone%'"),
      /events still in the queue/,
      "the database refuses",
    );
    // Past the trigger (an operator's hand): the pipeline must still cope.
    await t.deps.db.exec("alter table events_log disable trigger events_log_keep_queued");
    await t.deps.db.query("delete from events_log where message like '%m-gone%'");
    await pipeline.drain();
    assert.deepEqual(rx.bodies.map((b) => b.messageId), ["m-kept"]);
    assert.equal(pipeline.totals.dropped, 1);
    assert.ok(t.logLines.some((l) => l.includes("its incoming Live Events entry is gone")));
    const q = await t.deps.db.query("select 1 from event_queue");
    assert.equal(q.length, 0, "the row does not come back");
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("a batch that outlasts its lease renews it: no other worker takes (and redelivers) its rows", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  const slow = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    await new Promise((r) => setTimeout(r, 1200));
    return await fetch(rx.url, { method: "POST", body: await req.text() });
  });
  const a = new Pipeline(t.deps, { workers: 0, leaseMs: 300 });
  const b = new Pipeline(t.deps, { workers: 0, leaseMs: 300 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: `http://127.0.0.1:${slow.addr.port}/` },
    });
    await expectJson(await send(t, s.serverKey, { event: "Slow", messageId: "slow-1" }), 200);
    const working = a.runOnce();
    let stolen = 0;
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 150));
      stolen += await b.runOnce();
    }
    assert.equal(await working, 1);
    assert.equal(stolen, 0, "the renewed lease kept the row away from the other worker");
    assert.equal(rx.bodies.length, 1);
  } finally {
    await a.stop();
    await b.stop();
    await slow.shutdown();
    await rx.close();
    await t.close();
  }
});

Deno.test("without polls, the loops drain a stream whose lane fills: a chunk's end wakes a claim when the lane has room again", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  // Lanes of 10 rows (chunks of 5, one at a time per lane); idle loops never poll within the test: only
  // NOTIFY and freed lanes wake them.
  const pipeline = new Pipeline(t.deps, { workers: 2, batchSize: 5, perLane: 1, pollMs: 3_600_000 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
    await pipeline.start();
    const batch = Array.from({ length: 60 }, (_, i) => ({ type: "track", event: "e", messageId: `w-${i}` }));
    const res = await t.request("/v1/batch", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: { batch },
    });
    assert.equal((await expectJson(res, 200)).okEvents, 60);
    await rx.waitFor(60, 20_000);
    assert.deepEqual(
      rx.bodies.map((b) => String(b.messageId)).sort(),
      batch.map((e) => e.messageId).sort(),
      "each once",
    );
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("a function sees each queued event as ingested (sent as its stored text) with its own request's ctx", async () => {
  const t = await testApp({ env: ENV });
  const rx = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: rx.url },
      functionCode: `export default function (event, ctx) {
  const seen = { marker: ctx.headers["x-marker"], source: ctx.source.type, retries: ctx.retries, at: ctx.receivedAt };
  ctx.headers["x-marker"] = "changed"; // reaches neither the pipeline nor the next event
  return { ...event, seen };
}`,
    });
    const tricky = {
      event: 'Ordered \u2028 "quoted" \\ é 😀',
      userId: "u1",
      properties: { n: 1e21, neg: -1.5, list: [1, [2, { deep: null }], "x"], empty: {}, t: true },
    };
    for (const marker of ["a", "b"]) {
      const res = await t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey, "x-marker": marker },
        json: { ...tricky, messageId: `m-${marker}` },
      });
      await expectJson(res, 200);
    }
    assert.equal(await pipeline.drain(), undefined);
    assert.equal(rx.bodies.length, 2);
    const byId = new Map(rx.bodies.map((b) => [b.messageId, b]));
    for (const marker of ["a", "b"]) {
      // deno-lint-ignore no-explicit-any
      const got = byId.get(`m-${marker}`) as any;
      assert.equal(got.event, tricky.event);
      assert.deepEqual(got.properties, tricky.properties);
      assert.equal(got.seen.marker, marker, "each event's ctx carries its own request's headers");
      assert.equal(got.seen.source, "s2s");
      assert.equal(got.seen.retries, 0);
      assert.equal(got.seen.at, got.receivedAt);
    }
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});
