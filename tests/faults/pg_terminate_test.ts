import assert from "node:assert/strict";
import postgres from "postgres";
import { freshPostgresDatabase } from "../_helpers/db.ts";
import {
  assertNoCrash,
  pause,
  startLoad,
  startTarget,
  stopTimed,
  storedMessageIds,
  waitHealthy,
} from "./load.ts";

Deno.test("[postgres] terminating the backends under ingest and REST-write load: the server stays up, answers 503 with Retry-After, resumes and loses no acknowledged event", async () => {
  const pg = await freshPostgresDatabase();
  const t = await startTarget(pg.url);
  const killer = postgres(pg.url, { max: 1, onnotice: () => {} });
  let stopped = false;
  try {
    const load = startLoad(t);
    await pause(1000);
    let terminated = 0;
    for (let round = 0; round < 8; round++) {
      const rows = await killer.unsafe<{ ok: boolean }[]>(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`,
      );
      terminated += rows.filter((r) => r.ok).length;
      await pause(400);
    }
    await pause(1000);
    const report = await load.stop();
    console.error("terminate: backends", terminated, "statuses", Object.fromEntries(report.statuses));
    assertNoCrash(t.server.log());
    assert.ok(terminated >= 8, `terminated ${terminated} backends`);
    const resumeMs = await waitHealthy(t.server.url, 10_000);
    console.error("terminate: healthy again after", Math.round(resumeMs), "ms");
    assert.deepEqual(report.otherErrors, [], "no 5xx but 503");
    assert.equal(report.missingRetryAfter, 0, "every 503 has Retry-After");
    assert.equal(report.statuses.get(0) ?? 0, 0, "every request got an answer");
    assert.ok(report.acknowledged.length > 50, `only ${report.acknowledged.length} events acknowledged`);
    // After the faults every request succeeds again.
    const after = startLoad(t, { ingestClients: 2, restClients: 1 });
    await pause(1000);
    const again = await after.stop();
    assert.deepEqual([...again.statuses.keys()].sort(), [200, 201], `after: ${[...again.statuses]}`);
    const all = [...report.acknowledged, ...again.acknowledged];
    assert.equal(await storedMessageIds(pg.url, all), all.length, "acknowledged events lost");
    stopped = true;
    const [code, ms] = await stopTimed(t.server);
    assert.equal(code, 0, t.server.log().slice(-3000));
    assert.ok(ms < 10_000, `SIGTERM took ${ms} ms`);
  } finally {
    if (!stopped) await t.server.stop().catch(() => {});
    await killer.end();
    await pg.drop();
  }
});
