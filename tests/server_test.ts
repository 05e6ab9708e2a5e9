/**
 * startServer() and its background work: the pipeline starts shortly after listening, not before the
 * first requests are answered, and a server stopped before that starts nothing.
 */
import assert from "node:assert/strict";
import { BACKGROUND_START_DELAY_MS, startServer } from "../src/server.ts";
import { testApp } from "./_helpers/app.ts";
import { setupPipeline, startReceiver } from "./pipeline/fixtures.ts";

/** Sends one event through the test app's own `app.request()`: no request reaches the running server. */
async function ingestBeside(t: Awaited<ReturnType<typeof testApp>>, key: string) {
  const res = await t.request("/api/s/s2s/track", {
    method: "POST",
    headers: { "x-write-key": key },
    json: { event: "signup", userId: "u1" },
  });
  assert.equal(res.status, 200, await res.text());
}

/** Records when the store's `listen` is first called: the pipeline's start does it first. */
function spyListen(t: Awaited<ReturnType<typeof testApp>>): { at: number | null } {
  const seen = { at: null as number | null };
  const listen = t.deps.db.listen.bind(t.deps.db);
  t.deps.db.listen = (channel, onMessage, onListen) => {
    seen.at ??= performance.now();
    return listen(channel, onMessage, onListen);
  };
  return seen;
}

Deno.test("startServer() delivers queued events without any request to the server", async () => {
  const t = await testApp({ env: { PIPELINE_WORKERS: "1" } });
  const rx = startReceiver();
  const u = await t.user();
  const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
  const listened = spyListen(t);
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  const returned = performance.now();
  try {
    assert.equal(listened.at, null, "the pipeline started before startServer() returned");
    await ingestBeside(t, s.serverKey);
    await rx.waitFor(1, 10_000);
    assert.equal(rx.bodies.length, 1);
    assert.ok(listened.at !== null && listened.at - returned >= BACKGROUND_START_DELAY_MS - 10);
  } finally {
    await server.shutdown();
    await rx.close();
  }
});

Deno.test("startServer() answers its first requests before the background starts", async () => {
  const t = await testApp({ env: { PIPELINE_WORKERS: "1" } });
  const listened = spyListen(t);
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  const returned = performance.now();
  try {
    for (const path of ["/healthz", "/version", "/healthz"]) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    while (listened.at === null && performance.now() - returned < 5_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(listened.at !== null, "the pipeline never started");
    assert.ok(
      listened.at - returned >= BACKGROUND_START_DELAY_MS - 10,
      "requests started it before it was due",
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("a server shut down before its background started stops cleanly and delivers nothing", async () => {
  const t = await testApp({ env: { PIPELINE_WORKERS: "1" } });
  const rx = startReceiver();
  const u = await t.user();
  const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
  await ingestBeside(t, s.serverKey);
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  await server.shutdown();
  await server.finished;
  // The timer was cleared: nothing claims the queued row (the store is closed; a claim would fail loudly).
  await new Promise((r) => setTimeout(r, BACKGROUND_START_DELAY_MS + 100));
  assert.equal(rx.bodies.length, 0);
  await rx.close();
});

Deno.test("a background that cannot start stops the server and rejects `finished`", async () => {
  const t = await testApp({ env: { PIPELINE_WORKERS: "1" } });
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  const original = t.deps.db.listen;
  t.deps.db.listen = () => Promise.reject(new Error("cannot listen: test"));
  try {
    const deadline = new Promise((_, reject) => {
      const id = setTimeout(() => reject(new Error("`finished` did not settle in 10 s")), 10_000);
      server.finished.finally(() => clearTimeout(id)).catch(() => {});
    });
    await assert.rejects(Promise.race([server.finished, deadline]), /cannot listen: test/);
    await assert.rejects(fetch(`${server.url}/healthz`), TypeError); // no longer listening
    assert.ok(t.logLines.some((l) => l.includes("cannot start the background work")));
  } finally {
    t.deps.db.listen = original;
    await server.shutdown();
  }
});
