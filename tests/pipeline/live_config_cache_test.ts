/**
 * The pipeline's cache of live connections: a write through the services applies to the next chunk at
 * once; a change made around them (another instance, an operator's SQL) within LIVE_CONNECTIONS_CACHE_MS.
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { LIVE_CONNECTIONS_CACHE_MS } from "../../src/services/pipeline_config.ts";
import { updateResource } from "../../src/services/resources.ts";
import { insertQueueRows } from "../../src/store/queue_repo.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { setupPipeline, startReceiver } from "./fixtures.ts";

async function send(t: TestApp, key: string, messageId: string) {
  await expectJson(
    await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": key },
      json: { event: "Viewed", messageId },
    }),
    200,
  );
}

Deno.test("live connections: a services write applies at once, a change around them within the cache period", async () => {
  const clock = fakeClock(new Date("2026-05-01T00:00:00Z"));
  const t = await testApp({ clock });
  const one = startReceiver();
  const two = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: one.url } });
    await send(t, s.serverKey, "m1");
    await pipeline.drain();
    assert.deepEqual(one.bodies.map((b) => b.messageId), ["m1"]);

    // Through the services: the next chunk goes to the new URL, with no wait.
    await updateResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      id: s.destinationId,
      data: { url: two.url },
    });
    await send(t, s.serverKey, "m2");
    await pipeline.drain();
    assert.deepEqual(two.bodies.map((b) => b.messageId), ["m2"]);

    // Around the services (as another instance's write looks from here): the cached connection is
    // used until the period ends, then the change applies.
    await send(t, s.serverKey, "m3");
    await t.deps.db.query("update config_objects set deleted_at = now() where id = $1", [s.connectionId]);
    await pipeline.drain();
    assert.deepEqual(two.bodies.map((b) => b.messageId), ["m2", "m3"], "still cached");
    clock.advance(LIVE_CONNECTIONS_CACHE_MS);
    // Queued as ingest queues a stream's event (ingest keeps a cache of its own: not under test here).
    const payload = { event: { messageId: "m4" }, ingestType: "s2s", messageId: "m4", headers: {} };
    await insertQueueRows(t.deps.db, [{
      workspaceId: u.workspace.id,
      streamId: s.streamId,
      connectionId: null,
      payloadJson: JSON.stringify({ ...payload, receivedAt: clock.now().toISOString() }),
      attempts: 0,
      availableAt: clock.now(),
    }]);
    await pipeline.drain();
    assert.deepEqual(two.bodies.map((b) => b.messageId), ["m2", "m3"], "the deleted connection gets nothing");
    const left = await t.deps.db.query<{ n: number }>("select count(*)::int as n from event_queue");
    assert.equal(Number(left[0].n), 0, "a row whose connection is gone is dropped, not kept");
  } finally {
    await pipeline.stop();
    await one.close();
    await two.close();
    await t.close();
  }
});
