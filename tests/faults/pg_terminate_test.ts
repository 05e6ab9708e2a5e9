import assert from "node:assert/strict";
import postgres from "postgres";
import { freshPostgresDatabase } from "../_helpers/db.ts";
import {
  assertNoCrash,
  assertSurvived,
  pause,
  startLoad,
  startTarget,
  stopTimed,
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
    // Eight rounds at least, and until some events were acknowledged between them (a busy machine is slow).
    const started = performance.now();
    for (
      let round = 0;
      round < 8 || (load.report.acknowledged.length < 30 && performance.now() - started < 20_000);
      round++
    ) {
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
    assert.ok(report.acknowledged.length > 0, "no event was acknowledged during the faults");
    await assertSurvived(t, pg.url, report);
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
