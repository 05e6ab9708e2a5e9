/** cancel_sync, the run time limit, one run per connection, and taking over from an instance that died. */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { acquireSyncLease, insertSyncTask } from "../../src/store/sync_repo.ts";
import { cancelSync, getSyncState, listSyncTasks, runSync } from "../../src/sync/syncs.ts";
import { testApp } from "../_helpers/app.ts";
import { pgTarget } from "../destinations/_targets.ts";
import { connectorsDir, setupSync } from "./_connectors.ts";
import { waitForRunning, waitForTask } from "./_wait.ts";

const HANG = { api_key: "good", count: 10, stateEvery: 1, hang: true };

Deno.test("[postgres] cancel_sync kills a running connector; the task ends CANCELLED and keeps committed state", async () => {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await pgTarget();
  try {
    const u = await t.user();
    const s = await setupSync(u, target, {
      credentials: HANG,
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const { taskId } = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    await waitForRunning(u, s.connectionId, taskId);
    // A second run while one is in flight is refused, naming the running task.
    await assert.rejects(
      () => runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId }),
      (e: Error) => e.message.includes(`already running: "${taskId}"`),
    );
    // Wait until the connector sits in its endless wait (state for record 2 saved), then cancel.
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const st = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
      if ((st.state.users as { cursor?: number } | undefined)?.cursor === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const c = await cancelSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.deepEqual(c.cancelled, [taskId]);
    const task = await waitForTask(u, s.connectionId, taskId);
    assert.equal(task.status, "CANCELLED");
    assert.equal((await target.rows("users", "id")).length, 2);
    // The lease is free again, and the next run continues after record 2 (the fixture hangs only there).
    const next = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    const done = await waitForTask(u, s.connectionId, next.taskId);
    assert.equal(done.status, "SUCCESS", done.error ?? "");
    assert.deepEqual(done.rows, { users: 8 });
    assert.equal((await target.rows("users", "id")).length, 10);
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[postgres] a connector that never ends is stopped at SYNC_TIMEOUT_SECONDS and the task fails", async () => {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir, SYNC_TIMEOUT_SECONDS: "3" } });
  const target = await pgTarget();
  try {
    const u = await t.user();
    const s = await setupSync(u, target, {
      credentials: HANG,
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const { taskId } = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    const task = await waitForTask(u, s.connectionId, taskId);
    assert.equal(task.status, "FAILED");
    assert.match(task.error ?? "", /did not finish within 3 s/);
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[postgres] a task left RUNNING by a dead instance blocks runs until its lease expires, then is marked FAILED", async () => {
  const dir = await connectorsDir();
  const clock = fakeClock(new Date());
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir }, clock });
  const target = await pgTarget();
  try {
    const u = await t.user();
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 3 },
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    // What an instance killed mid-run leaves behind: a RUNNING task and its lease.
    const now = clock.now();
    assert.ok(
      await acquireSyncLease(t.deps.db, {
        workspaceId: u.workspace.id,
        connectionId: s.connectionId,
        holder: "dead",
        taskId: "dead-task",
        now,
        ttlMs: 60_000,
      }),
    );
    await insertSyncTask(t.deps.db, {
      id: "dead-task",
      workspaceId: u.workspace.id,
      connectionId: s.connectionId,
      status: "RUNNING",
      trigger: "manual",
      fullSync: false,
      now,
    });
    await assert.rejects(
      () => runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId }),
      /already running: "dead-task"/,
    );
    clock.advance(61_000);
    const { taskId } = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.equal((await waitForTask(u, s.connectionId, taskId)).status, "SUCCESS");
    const { tasks } = await listSyncTasks(u.ctx, {
      workspaceId: u.workspace.id,
      connectionId: s.connectionId,
    });
    const dead = tasks.find((x) => x.taskId === "dead-task")!;
    assert.equal(dead.status, "FAILED");
    assert.match(dead.error ?? "", /lease expired/);
    assert.equal((await target.rows("users", "id")).length, 3);
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[postgres] closing the app stops a running sync: the task fails, its state stays", async () => {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await pgTarget();
  let closed = false;
  try {
    const u = await t.user();
    const s = await setupSync(u, target, {
      credentials: HANG,
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const { taskId } = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    await waitForRunning(u, s.connectionId, taskId);
    await t.deps.syncRuns!.stop();
    const task = await waitForTask(u, s.connectionId, taskId);
    assert.equal(task.status, "FAILED");
    assert.match(task.error ?? "", /shutting down/);
    await t.close();
    closed = true;
  } finally {
    if (!closed) await t.close();
    await target.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
