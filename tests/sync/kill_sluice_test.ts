/** Sluice itself killed mid-run (SIGKILL of the server process): the next run resumes after the lease expires. */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { listSyncTasks, runSync } from "../../src/sync/syncs.ts";
import { loadSyncState } from "../../src/store/sync_repo.ts";
import { expectJson, TEST_ENV, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { startSluice } from "../_helpers/process.ts";
import { pgTarget } from "../destinations/_targets.ts";
import { connectorsDir, setupSync } from "./_connectors.ts";
import { waitForTask } from "./_wait.ts";

Deno.test("[postgres] a Sluice killed mid-sync leaves committed rows and state; the next run resumes without duplicates", async () => {
  const dir = await connectorsDir();
  const db = await testPostgres();
  const clock = fakeClock(new Date());
  const t = await testApp({ db, clock, env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await pgTarget();
  const server = await startSluice({
    DATABASE_URL: db.url,
    SYNC_CONNECTORS_DIR: dir,
    SLUICE_PEPPER: TEST_ENV.SLUICE_PEPPER,
    PIPELINE_WORKERS: "0",
  });
  let killed = false;
  try {
    const u = await t.user();
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 30, stateEvery: 5, hangAt: 12 },
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const res = await fetch(`${server.url}/api/${u.workspace.id}/sources/run?syncId=${s.connectionId}`, {
      method: "POST",
      headers: { authorization: u.auth },
    });
    const { taskId } = await expectJson(res, 200);
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const st = await loadSyncState(t.deps.db, {
        workspaceId: u.workspace.id,
        connectionId: s.connectionId,
      });
      if ((st.get("users") as { cursor?: number } | undefined)?.cursor === 10) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop("SIGKILL");
    killed = true;
    assert.equal((await target.rows("users", "id")).length, 10, "rows up to the last saved state");
    // The dead instance's lease runs out a minute later; then a run takes over and resumes at 11.
    await assert.rejects(
      () => runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId }),
      /already running/,
    );
    clock.set(new Date(Date.now() + 61_000));
    const { updateResource } = await import("../../src/services/resources.ts");
    await updateResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "service",
      id: s.serviceId,
      data: { credentials: { api_key: "good", count: 30, stateEvery: 5, hangAt: 0 } },
    });
    const next = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    const done = await waitForTask(u, s.connectionId, next.taskId);
    assert.equal(done.status, "SUCCESS", done.error ?? "");
    assert.deepEqual(done.rows, { users: 20 });
    const rows = await target.rows("users", "id");
    assert.deepEqual(rows.map((r) => Number(r.id)), Array.from({ length: 30 }, (_, i) => i + 1));
    const { tasks } = await listSyncTasks(u.ctx, {
      workspaceId: u.workspace.id,
      connectionId: s.connectionId,
    });
    const dead = tasks.find((x) => x.taskId === taskId)!;
    assert.equal(dead.status, "FAILED");
    assert.match(dead.error ?? "", /lease expired/);
  } finally {
    if (!killed) await server.stop("SIGKILL");
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});
