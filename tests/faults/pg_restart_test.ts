import assert from "node:assert/strict";
import postgres from "postgres";
import { throwawayCluster } from "../_helpers/db.ts";
import {
  assertNoCrash,
  pause,
  startLoad,
  startTarget,
  stopTimed,
  storedMessageIds,
  waitHealthy,
  waitQueueIdle,
} from "./load.ts";

Deno.test("[postgres] a whole-cluster restart and a 3 s outage under load: the server stays up, answers 503 meanwhile, resumes by itself and loses no acknowledged event", async () => {
  const cluster = await throwawayCluster();
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe("create database sluice_fault");
  await admin.end();
  const url = cluster.url.replace(/\/postgres$/, "/sluice_fault");
  const t = await startTarget(url);
  let stopped = false;
  try {
    const load = startLoad(t);
    await pause(1500);
    // A fast restart: PostgreSQL ends every session and is back within about a second.
    await cluster.ctl(["-m", "fast", "-l", cluster.log, "-w", "restart"]);
    const afterRestartMs = await waitHealthy(t.server.url, 15_000);
    await pause(1000);
    // An outage the clients see: stopped for 3 s, then started again.
    await cluster.ctl(["-m", "fast", "-w", "stop"]);
    await pause(3000);
    await cluster.start();
    const afterOutageMs = await waitHealthy(t.server.url, 15_000);
    await pause(1500);
    const report = await load.stop();
    const statuses = Object.fromEntries(report.statuses);
    console.error(
      "restart: statuses",
      statuses,
      "healthy after restart",
      Math.round(afterRestartMs),
      "ms, after outage",
      Math.round(afterOutageMs),
      "ms",
    );
    assertNoCrash(t.server.log());
    assert.deepEqual(report.otherErrors, [], "no 5xx but 503");
    assert.equal(report.missingRetryAfter, 0, "every 503 has Retry-After");
    assert.equal(report.statuses.get(0) ?? 0, 0, "every request got an answer");
    assert.ok((report.statuses.get(503) ?? 0) > 0, "the outage showed as 503s");
    assert.ok(afterOutageMs < 5000, `resumed ${afterOutageMs} ms after the database was back`);
    const after = startLoad(t, { ingestClients: 2, restClients: 1 });
    await pause(1000);
    const again = await after.stop();
    assert.deepEqual([...again.statuses.keys()].sort(), [200, 201], `after: ${[...again.statuses]}`);
    const all = [...report.acknowledged, ...again.acknowledged];
    assert.equal(await storedMessageIds(url, all), all.length, "acknowledged events lost");
    // The pipeline survived too: it delivers everything that was queued.
    const [drainedMs, leased] = await waitQueueIdle(url, 20_000);
    console.error(
      "restart: acknowledged",
      all.length,
      "queue idle in",
      Math.round(drainedMs),
      "ms;",
      leased,
      "leased",
    );
    stopped = true;
    const [code, ms] = await stopTimed(t.server);
    assert.equal(code, 0, t.server.log().slice(-3000));
    assert.ok(ms < 10_000, `SIGTERM took ${ms} ms`);
  } finally {
    if (!stopped) await t.server.stop().catch(() => {});
    await cluster.stop();
  }
});
