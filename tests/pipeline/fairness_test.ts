/**
 * One tenant cannot stall another: workspace B's webhook that never answers, or B's function that loops
 * until its time limit, holds only B's lane; workspace A's events, queued after B's and claimed with them,
 * are all delivered while B is still held.
 */
import assert from "node:assert/strict";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { setupPipeline, startReceiver } from "./fixtures.ts";

/** A receiver that holds every request until `release()`. */
function heldReceiver() {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const r = { url: "", arrived: 0, answered: 0, release, close: async () => {} };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    await req.text();
    r.arrived++;
    await gate;
    r.answered++;
    return new Response("ok");
  });
  r.url = `http://127.0.0.1:${server.addr.port}/hook`;
  r.close = () => server.shutdown();
  return r;
}

async function sendBatch(t: TestApp, key: string, prefix: string, n: number) {
  const batch = Array.from(
    { length: n },
    (_, i) => ({ type: "track", event: "E", messageId: `${prefix}-${i}` }),
  );
  const res = await t.request("/v1/batch", {
    method: "POST",
    headers: { "x-write-key": key },
    json: { batch },
  });
  assert.equal((await expectJson(res, 200)).okEvents, n);
}

async function until(what: string, ok: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("a webhook that holds its requests stalls only its own workspace: the other's events all land meanwhile", async () => {
  // The first claim takes B's rows and a few of A's; A's others need claims of their own.
  const t = await testApp({ env: { PIPELINE_BATCH_SIZE: "25" } });
  const held = heldReceiver();
  const rxA = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 1, pollMs: 50 });
  try {
    const a = await t.user();
    const b = await t.user();
    assert.notEqual(a.workspace.id, b.workspace.id);
    const sb = await setupPipeline(b, {
      destination: { destinationType: "webhook", url: held.url, timeoutMs: 60_000 },
    });
    const sa = await setupPipeline(a, { destination: { destinationType: "webhook", url: rxA.url } });
    await sendBatch(t, sb.serverKey, "b", 20);
    await sendBatch(t, sa.serverKey, "a", 100);
    await pipeline.start();
    await until("B's first request", () => held.arrived > 0, 20_000);
    await rxA.waitFor(100, 20_000);
    await until("A's rows to be committed", () => pipeline.totals.delivered >= 100, 20_000);
    assert.equal(held.answered, 0, "B is still held while every one of A's events landed");
    assert.equal(new Set(rxA.bodies.map((x) => x.messageId)).size, 100);
    const left = await t.deps.db.query<{ workspace_id: string }>("select workspace_id from event_queue");
    assert.ok(left.every((r) => r.workspace_id === b.workspace.id), "only B's rows are still queued");
    held.release();
    await until("B's events", () => held.answered >= 20, 20_000);
    await until("the queue to empty", () => pipeline.totals.delivered >= 120, 20_000);
  } finally {
    held.release();
    await pipeline.stop();
    await held.close();
    await rxA.close();
    await t.close();
  }
});

Deno.test("a function that loops until its time limit stalls only its own workspace: the other's events all land meanwhile", async () => {
  const t = await testApp({ env: { PIPELINE_BATCH_SIZE: "200", FUNCTIONS_TIMEOUT_MS: "15000" } });
  const rxB = startReceiver();
  const rxA = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 1, pollMs: 50 });
  try {
    const a = await t.user();
    const b = await t.user();
    const sb = await setupPipeline(b, {
      destination: { destinationType: "webhook", url: rxB.url },
      functionCode: `export default function (e) { while (true) {} }`,
    });
    const sa = await setupPipeline(a, {
      destination: { destinationType: "webhook", url: rxA.url },
      functionCode: `export default function (e) { return { ...e, seen: true }; }`,
    });
    await sendBatch(t, sb.serverKey, "b", 3);
    await sendBatch(t, sa.serverKey, "a", 30);
    const started = Date.now();
    await pipeline.start();
    await rxA.waitFor(30, 20_000);
    await until("A's rows to be committed", () => pipeline.totals.rows >= 30, 20_000);
    const took = Date.now() - started;
    // B's chains cannot end before their 15 s limit: A landing first means A did not wait for B.
    assert.ok(took < 15_000, `A's events landed after ${took} ms`);
    assert.equal(rxB.bodies.length, 0, "B's looping chains are still running");
    assert.equal(pipeline.totals.rows, 30, "only A's rows were committed so far");
    assert.ok(rxA.bodies.every((x) => x.seen === true));
  } finally {
    await pipeline.stop();
    await rxB.close();
    await rxA.close();
    await t.close();
  }
});
