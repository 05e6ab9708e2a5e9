/** Retry-After: a destination that asks for a longer wait than the pipeline's backoff gets it. */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import type { DestinationDriver, WriteBatch, WriteResult } from "../../src/destinations/driver.ts";
import { retryAfterOf, webhookDriver } from "../../src/destinations/webhook.ts";
import { memoryLogger } from "../../src/log.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { setupPipeline } from "./fixtures.ts";

const ENV = { PIPELINE_RETRIES: "3", PIPELINE_RETRY_BASE_MS: "1000" };

/** A `webhook` stand-in that fails with `retryAfterMs` while `fail` says so, and counts its calls. */
function fakeDriver(answer: () => WriteResult) {
  const seen: string[] = [];
  const driver: DestinationDriver = {
    type: "webhook",
    modes: ["stream"],
    write(batch: WriteBatch): Promise<WriteResult[]> {
      for (const e of batch.events) seen.push(String(e.messageId));
      return Promise.resolve(batch.events.map(() => answer()));
    },
  };
  return { driver, seen };
}

async function queued(db: { query<T>(sql: string): Promise<T[]> }) {
  return (await db.query<{ attempts: number; available_at: Date }>(
    "select attempts, available_at from event_queue",
  )).map((r) => ({ attempts: Number(r.attempts), at: new Date(r.available_at).toISOString() }));
}

Deno.test("a retry waits for the destination's Retry-After when it is longer than the backoff", async () => {
  const clock = fakeClock(new Date("2026-05-01T00:00:00Z"));
  const t = await testApp({ env: ENV, clock });
  let fail = true;
  const { driver, seen } = fakeDriver(() =>
    fail
      ? { status: "FAILED", retryable: true, error: "Webhook answered 429", retryAfterMs: 30_000 }
      : { status: "SUCCESS" }
  );
  const pipeline = new Pipeline(t.deps, { workers: 0, drivers: new Map([["webhook", driver]]) });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: "http://127.0.0.1:9/x" },
    });
    await expectJson(
      await t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { event: "Paid", messageId: "ra-1" },
      }),
      200,
    );
    await pipeline.drain();
    assert.deepEqual(await queued(t.deps.db), [{ attempts: 1, at: "2026-05-01T00:00:30.000Z" }]);
    clock.advance(1000);
    assert.equal(await pipeline.runOnce(), 0, "the backoff alone (1 s) is over, the Retry-After is not");
    clock.advance(28_999);
    assert.equal(await pipeline.runOnce(), 0);
    fail = false;
    clock.advance(1);
    await pipeline.drain();
    assert.deepEqual(seen, ["ra-1", "ra-1"]);
    assert.deepEqual(await queued(t.deps.db), []);
    assert.equal(pipeline.totals.delivered, 1);
  } finally {
    await pipeline.stop();
    await t.close();
  }
});

Deno.test("a Retry-After shorter than the backoff changes nothing; a non-retryable failure ignores it", async () => {
  const clock = fakeClock(new Date("2026-05-01T00:00:00Z"));
  const t = await testApp({ env: ENV, clock });
  let answer: WriteResult = { status: "FAILED", retryable: true, error: "busy", retryAfterMs: 10 };
  const { driver } = fakeDriver(() => answer);
  const pipeline = new Pipeline(t.deps, { workers: 0, drivers: new Map([["webhook", driver]]) });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: "http://127.0.0.1:9/x" },
    });
    const send = (id: string) =>
      t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { event: "Paid", messageId: id },
      });
    await expectJson(await send("short"), 200);
    await pipeline.drain();
    assert.deepEqual(await queued(t.deps.db), [{ attempts: 1, at: "2026-05-01T00:00:01.000Z" }]);
    await t.deps.db.query("delete from event_queue");
    answer = { status: "FAILED", retryable: false, error: "bad", retryAfterMs: 60_000 };
    await expectJson(await send("hopeless"), 200);
    await pipeline.drain();
    assert.deepEqual(await queued(t.deps.db), []);
    assert.equal(pipeline.totals.deadLettered, 1);
  } finally {
    await pipeline.stop();
    await t.close();
  }
});

Deno.test("the webhook driver reports a 429's or 503's Retry-After (seconds or a date) as retryAfterMs", async () => {
  let header = "120";
  let status = 429;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    await req.text();
    return new Response("slow down", { status, headers: { "retry-after": header } });
  });
  const write = async () =>
    (await webhookDriver().write({
      events: [{ messageId: "m" }],
      destination: {
        id: "d",
        type: "webhook",
        workspaceId: "w",
        credentials: { url: `http://127.0.0.1:${server.addr.port}/x` },
      },
      connection: { id: "c", streamId: "s", mode: "stream", options: {} },
      log: memoryLogger(),
      signal: new AbortController().signal,
    }))[0];
  try {
    let r = await write();
    assert.deepEqual([r.status, r.retryable, r.retryAfterMs], ["FAILED", true, 120_000]);
    status = 503;
    header = new Date(Date.now() + 3600_000).toUTCString();
    r = await write();
    assert.ok(r.retryAfterMs! > 3590_000 && r.retryAfterMs! <= 3600_000, String(r.retryAfterMs));
    status = 400;
    r = await write();
    assert.deepEqual([r.retryable, r.retryAfterMs], [false, undefined], "not retried: no wait to honour");
  } finally {
    await server.shutdown();
  }
  const now = Date.parse("2026-05-01T00:00:00Z");
  assert.equal(retryAfterOf("5", now), 5000);
  assert.equal(retryAfterOf("Fri, 01 May 2026 00:01:00 GMT", now), 60_000);
  assert.equal(retryAfterOf("Thu, 30 Apr 2026 00:00:00 GMT", now), undefined, "a date in the past");
  assert.equal(retryAfterOf("soon", now), undefined);
  assert.equal(retryAfterOf(null, now), undefined);
  assert.equal(retryAfterOf("99999999", now), 24 * 3600 * 1000, "at most a day");
});
