/** Two apps in one process share only what they are given: each Deps has its own caches and workers. */
import assert from "node:assert/strict";
import { deleteResource } from "../src/services/resources.ts";
import { expectJson, testApp } from "./_helpers/app.ts";
import { setupPipeline } from "./pipeline/fixtures.ts";

Deno.test("buildDeps(): two apps on the same Db get their own key caches, ingest writer and sandbox", async () => {
  const a = await testApp();
  const b = await testApp({ sameDbAs: a });
  try {
    // assert.ok, not notEqual: a failure message would print the objects, and they hold the whole store.
    assert.ok(a.deps.db === b.deps.db, "one store object");
    assert.ok(a.deps.apiKeys !== b.deps.apiKeys, "API key caches");
    assert.ok(a.deps.writeKeys !== b.deps.writeKeys, "write-key caches");
    assert.ok(a.deps.ingest.writer !== b.deps.ingest.writer, "ingest writers");
    assert.ok(a.deps.ingest.depth !== b.deps.ingest.depth, "queue-depth caches");
    assert.ok(a.deps.ingest.connections !== b.deps.ingest.connections, "stream-connection caches");
    assert.ok(a.deps.sandbox !== b.deps.sandbox, "sandboxes");
  } finally {
    await b.close();
    await a.close();
  }
});

Deno.test("buildDeps(): a write key verified by one app is cached there only; a deleted key is refused by the other at once", async () => {
  const a = await testApp();
  const b = await testApp({ sameDbAs: a });
  try {
    const u = await a.user();
    const s = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    const send = (t: typeof a) =>
      t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { type: "track", event: "E" },
      });
    await expectJson(await send(a), 200);
    assert.equal(a.deps.writeKeys.size, 1, "A remembers the key it verified");
    assert.equal(b.deps.writeKeys.size, 0, "B's cache is its own");

    // With the stream gone, A still answers from its cache (for a few seconds) while B looks it up.
    await deleteResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "stream",
      id: s.streamId,
      cascade: true,
    });
    await expectJson(await send(a), 200);
    const refused = await send(b);
    assert.equal(refused.status, 401, "B never saw A's cached verdict");
    await refused.body?.cancel();
  } finally {
    await b.close();
    await a.close();
  }
});

Deno.test("buildDeps(): a function run by one app starts a runner in its sandbox only; closing it leaves the other's", async () => {
  const a = await testApp();
  const b = await testApp({ sameDbAs: a });
  try {
    const u = await a.user();
    const run = (t: typeof a) =>
      t.request(`/api/${u.workspace.id}/function/run`, {
        method: "POST",
        headers: { authorization: u.auth },
        json: { code: "export default function (e) { return e; }", event: { type: "track" } },
      });
    await expectJson(await run(a), 200);
    assert.equal(a.deps.sandbox.processCount, 1);
    assert.equal(b.deps.sandbox.processCount, 0, "B started no runner");
    await expectJson(await run(b), 200);
    await b.close();
    assert.equal(b.deps.sandbox.processCount, 0, "B's close() stopped B's runner");
    assert.equal(a.deps.sandbox.processCount, 1, "and not A's");
    await expectJson(await run(a), 200);
  } finally {
    await b.close();
    await a.close();
  }
});
