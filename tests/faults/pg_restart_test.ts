import assert from "node:assert/strict";
import postgres from "postgres";
import { throwawayCluster } from "../_helpers/db.ts";
import {
  assertSurvived,
  pause,
  startLoad,
  startTarget,
  stopTimed,
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
    assert.ok((report.statuses.get(503) ?? 0) > 0, "the outage showed as 503s");
    assert.ok(afterOutageMs < 5000, `resumed ${afterOutageMs} ms after the database was back`);
    const acknowledged = await assertSurvived(t, url, report);
    // The pipeline survived too: it delivers everything that was queued.
    const [drainedMs, leased] = await waitQueueIdle(url, 20_000);
    console.error(
      "restart: acknowledged",
      acknowledged,
      "queue idle in",
      Math.round(drainedMs),
      "ms;",
      leased,
      "leased",
    );

    // A database that stops answering without closing anything (every server process frozen): requests
    // in flight wait on it, and SIGTERM still ends the process within 10 s.
    const frozen = await serverProcesses(cluster.data);
    for (const pid of frozen) Deno.kill(pid, "SIGSTOP");
    try {
      const hanging = fetch(`${t.server.url}/api/workspace`, { headers: { authorization: t.auth } })
        .then((r) => r.body?.cancel(), () => {});
      await pause(500);
      stopped = true;
      const [code, ms] = await stopTimed(t.server);
      console.error("restart: SIGTERM with the database frozen: exit", code, "after", Math.round(ms), "ms");
      assert.ok(ms < 10_000, `SIGTERM took ${ms} ms`);
      await hanging;
    } finally {
      for (const pid of frozen) {
        try {
          Deno.kill(pid, "SIGCONT");
        } catch {
          // Already gone (a backend whose client went away exits once continued or killed): nothing to wake.
        }
      }
    }
  } finally {
    if (!stopped) await t.server.stop().catch(() => {});
    await cluster.stop();
  }
});

/** The postmaster of the cluster in `dataDir` and its children. */
async function serverProcesses(dataDir: string): Promise<number[]> {
  const postmaster = Number((await Deno.readTextFile(`${dataDir}/postmaster.pid`)).split("\n")[0]);
  const pids = [postmaster];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${e.name}/stat`).catch(() => "");
    // Field 4 (after the parenthesised command name) is the parent pid.
    if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster) pids.push(Number(e.name));
  }
  return pids;
}
