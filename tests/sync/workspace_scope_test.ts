/**
 * Object ids are unique per workspace only: two workspaces with a sync connection of the same id (and
 * a service and destination of the same ids) keep apart their runs, saved state, run leases, claimed
 * schedule fires and task lists, in the store, the services, REST and MCP.
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import {
  acquireSyncLease,
  claimScheduleFire,
  currentSyncLease,
  deleteSyncState,
  failAbandonedTasks,
  findSyncTask,
  insertSyncTask,
  isCancelRequested,
  listSyncTasks as listTaskRows,
  loadSyncState,
  releaseSyncLease,
  requestCancel,
  saveSyncState,
  updateSyncTask,
} from "../../src/store/sync_repo.ts";
import { startSyncScheduler } from "../../src/sync/scheduler.ts";
import { cancelSync, getSyncState, listSyncTasks, resetSyncState, runSync } from "../../src/sync/syncs.ts";
import { expectJson, type TestApp, testApp, type TestUser } from "../_helpers/app.ts";
import { STORES } from "../_helpers/db.ts";
import { pgTarget, type Target } from "../destinations/_targets.ts";
import { connectorsDir, setupSync } from "./_connectors.ts";
import { waitForRunning, waitForTask } from "./_wait.ts";

const SAME_IDS = { serviceId: "svc", destinationId: "wh", connectionId: "nightly" };
const INCREMENTAL = { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } };

for (const store of STORES) {
  Deno.test(`[${store.name}] sync rows of the same connection id in two workspaces never mix`, async () => {
    const db = await store.open();
    try {
      const a = { workspaceId: "ws-a", connectionId: "c" };
      const b = { workspaceId: "ws-b", connectionId: "c" };
      const now = new Date("2026-03-02T10:00:00Z");
      // Leases: each workspace holds its own; a second holder in the same workspace is refused.
      assert.ok(await acquireSyncLease(db, { ...a, holder: "ta", taskId: "ta", now, ttlMs: 60_000 }));
      assert.ok(await acquireSyncLease(db, { ...b, holder: "tb", taskId: "tb", now, ttlMs: 60_000 }));
      assert.equal(await acquireSyncLease(db, { ...a, holder: "x", taskId: "x", now, ttlMs: 60_000 }), false);
      assert.equal((await currentSyncLease(db, a, now))?.taskId, "ta");
      assert.equal((await currentSyncLease(db, b, now))?.taskId, "tb");
      for (const [ref, id] of [[a, "ta"], [b, "tb"]] as const) {
        await insertSyncTask(db, { id, ...ref, status: "RUNNING", trigger: "manual", fullSync: false, now });
      }
      // Releasing B's lease makes only B's task abandoned; A's running task is left alone.
      await releaseSyncLease(db, b, "tb");
      assert.equal(await currentSyncLease(db, b, now), null);
      assert.equal((await currentSyncLease(db, a, now))?.taskId, "ta");
      assert.equal(await failAbandonedTasks(db, b, now), 1);
      assert.equal((await findSyncTask(db, a, "ta"))?.status, "RUNNING");
      assert.equal((await findSyncTask(db, b, "tb"))?.status, "FAILED");
      // Tasks: B neither sees, cancels nor updates A's task by its id.
      assert.equal(await findSyncTask(db, b, "ta"), null);
      assert.deepEqual((await listTaskRows(db, b)).map((t) => t.id), ["tb"]);
      assert.deepEqual(await requestCancel(db, b, now, "ta"), []);
      assert.deepEqual(await requestCancel(db, b, now), []);
      assert.equal(await isCancelRequested(db, { workspaceId: "ws-a", id: "ta" }), false);
      await updateSyncTask(db, { workspaceId: "ws-b", id: "ta" }, { status: "SUCCESS", now });
      assert.equal((await findSyncTask(db, a, "ta"))?.status, "RUNNING");
      assert.deepEqual(await requestCancel(db, a, now, "ta"), ["ta"]);
      assert.equal(await isCancelRequested(db, { workspaceId: "ws-a", id: "ta" }), true);
      // State: saved, read and forgotten per workspace.
      await saveSyncState(db, a, "users", { cursor: 5 }, now);
      await saveSyncState(db, b, "users", { cursor: 1 }, now);
      assert.deepEqual((await loadSyncState(db, a)).get("users"), { cursor: 5 });
      assert.deepEqual((await loadSyncState(db, b)).get("users"), { cursor: 1 });
      assert.equal(await deleteSyncState(db, b), 1);
      assert.equal((await loadSyncState(db, b)).size, 0);
      assert.deepEqual((await loadSyncState(db, a)).get("users"), { cursor: 5 });
      // Schedule fires: the same minute is claimed once per workspace.
      assert.equal(await claimScheduleFire(db, a, now), true);
      assert.equal(await claimScheduleFire(db, b, now), true);
      assert.equal(await claimScheduleFire(db, a, now), false);
      assert.equal(await claimScheduleFire(db, b, now), false);
    } finally {
      await db.close();
    }
  });
}

async function mcp(t: TestApp, u: TestUser, name: string, args: Record<string, unknown>) {
  const res = await t.request("/mcp", {
    method: "POST",
    headers: {
      authorization: u.auth,
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    json: {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name, arguments: { workspaceId: u.workspace.id, connectionId: "nightly", ...args } },
    },
  });
  const body = await expectJson(res, 200);
  return body.result as {
    isError?: boolean;
    structuredContent: Record<string, unknown>;
    content: { text: string }[];
  };
}

async function restTasks(t: TestApp, u: TestUser, query = ""): Promise<Response> {
  return await t.request(`/api/${u.workspace.id}/sources/tasks?syncId=nightly${query}`, {
    headers: { authorization: u.auth },
  });
}

async function cursor(u: TestUser): Promise<number | undefined> {
  const st = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: "nightly" });
  return (st.state.users as { cursor?: number } | undefined)?.cursor;
}

Deno.test("[postgres] two workspaces' syncs with the same ids run at once and keep state, tasks and cancels apart", async () => {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const targets: Target[] = [];
  try {
    targets.push(await pgTarget(), await pgTarget());
    const [ta, tb] = targets;
    const ua = await t.user();
    const ub = await t.user();
    // A's connector saves a state per record and hangs after record 2; B's emits 3 records and ends.
    const sa = await setupSync(ua, ta, {
      credentials: { api_key: "good", count: 10, stateEvery: 1, hang: true },
      data: INCREMENTAL,
      ids: SAME_IDS,
    });
    const sb = await setupSync(ub, tb, {
      credentials: { api_key: "good", count: 3, stateEvery: 1 },
      data: INCREMENTAL,
      ids: SAME_IDS,
    });
    assert.deepEqual(sa, SAME_IDS);
    assert.deepEqual(sb, SAME_IDS);
    const runA = await runSync(ua.ctx, { workspaceId: ua.workspace.id, connectionId: "nightly" });
    await waitForRunning(ua, "nightly", runA.taskId);
    const until = Date.now() + 20_000;
    while (Date.now() < until && await cursor(ua) !== 2) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await cursor(ua), 2);

    // B sees neither A's state nor A's task, over the services, REST and MCP.
    assert.deepEqual(
      (await getSyncState(ub.ctx, { workspaceId: ub.workspace.id, connectionId: "nightly" })).state,
      {},
    );
    assert.deepEqual((await expectJson(await restTasks(t, ub), 200)).tasks, []);
    await expectJson(await restTasks(t, ub, `&taskId=${runA.taskId}`), 404);
    const mcpB = await mcp(t, ub, "list_sync_tasks", {});
    assert.ok(!mcpB.isError, mcpB.content[0].text);
    assert.deepEqual(mcpB.structuredContent.tasks, []);
    const mcpById = await mcp(t, ub, "list_sync_tasks", { taskId: runA.taskId });
    assert.equal(mcpById.isError, true);
    assert.match(mcpById.content[0].text, /not found/);

    // B cannot cancel A's task by its id (REST, MCP, service), nor by cancelling its own sync.
    const restCancel = await t.request(
      `/api/${ub.workspace.id}/sources/cancel?syncId=nightly&taskId=${runA.taskId}`,
      { method: "POST", headers: { authorization: ub.auth } },
    );
    assert.match(JSON.stringify(await expectJson(restCancel, 404)), /not found/);
    const mcpCancel = await mcp(t, ub, "cancel_sync", { taskId: runA.taskId });
    assert.equal(mcpCancel.isError, true);
    assert.deepEqual(
      (await cancelSync(ub.ctx, { workspaceId: ub.workspace.id, connectionId: "nightly" })).cancelled,
      [],
    );

    // B runs while A's run holds A's lease; B reads its own service from scratch into its own target.
    const runB = await runSync(ub.ctx, { workspaceId: ub.workspace.id, connectionId: "nightly" });
    const doneB = await waitForTask(ub, "nightly", runB.taskId);
    assert.equal(doneB.status, "SUCCESS", doneB.error ?? "");
    assert.deepEqual(doneB.rows, { users: 3 });
    assert.equal((await tb.rows("users", "id")).length, 3);
    assert.equal((await ta.rows("users", "id")).length, 2);
    assert.equal(await cursor(ub), 3);
    assert.equal(await cursor(ua), 2);
    const listA = await listSyncTasks(ua.ctx, { workspaceId: ua.workspace.id, connectionId: "nightly" });
    assert.deepEqual(listA.tasks.map((x) => [x.taskId, x.status]), [[runA.taskId, "RUNNING"]]);
    const restB = await expectJson(await restTasks(t, ub), 200);
    assert.deepEqual(restB.tasks.map((x: { taskId: string }) => x.taskId), [runB.taskId]);
    const mcpA = await mcp(t, ua, "list_sync_tasks", {});
    assert.deepEqual((mcpA.structuredContent.tasks as { taskId: string }[]).map((x) => x.taskId), [
      runA.taskId,
    ]);

    // B's reset is not refused by A's running task, and forgets only B's state.
    const reset = await resetSyncState(ub.ctx, { workspaceId: ub.workspace.id, connectionId: "nightly" });
    assert.equal(reset.deleted, 1);
    assert.equal(await cursor(ub), undefined);
    assert.equal(await cursor(ua), 2);
    const mcpReset = await mcp(t, ua, "reset_sync_state", {});
    assert.equal(mcpReset.isError, true, "A's own reset is refused while A runs");

    // A cancels its own task by id; B's finished task is untouched.
    const c = await mcp(t, ua, "cancel_sync", { taskId: runA.taskId });
    assert.ok(!c.isError, c.content[0].text);
    assert.deepEqual(c.structuredContent.cancelled, [runA.taskId]);
    assert.equal((await waitForTask(ua, "nightly", runA.taskId)).status, "CANCELLED");
    assert.equal((await waitForTask(ub, "nightly", runB.taskId)).status, "SUCCESS");
    assert.equal(await cursor(ua), 2);
  } finally {
    for (const x of targets) await x.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[postgres] one scheduler tick starts the due sync of each workspace when both use the same connection id", async () => {
  const dir = await connectorsDir();
  const clock = fakeClock(new Date("2026-03-02T10:05:20Z"));
  const t = await testApp({ clock, env: { SYNC_CONNECTORS_DIR: dir } });
  const scheduler = startSyncScheduler(t.deps, { everyMs: 0 });
  const targets: Target[] = [];
  try {
    targets.push(await pgTarget(), await pgTarget());
    const users = [await t.user(), await t.user()];
    for (const [i, u] of users.entries()) {
      await setupSync(u, targets[i], {
        credentials: { api_key: "good", count: i + 2 },
        data: { ...INCREMENTAL, schedule: "5 * * * *" },
        ids: SAME_IDS,
      });
    }
    const started = await scheduler.tick();
    assert.deepEqual(
      started.map((s) => s.workspaceId).sort(),
      users.map((u) => u.workspace.id).sort(),
    );
    await Promise.all(started.map((s) => s.done));
    clock.set(new Date("2026-03-02T10:05:50Z"));
    assert.deepEqual(await scheduler.tick(), [], "each workspace's minute fired already");
    for (const [i, u] of users.entries()) {
      const { tasks } = await listSyncTasks(u.ctx, { workspaceId: u.workspace.id, connectionId: "nightly" });
      assert.equal(tasks.length, 1);
      assert.equal(tasks[0].status, "SUCCESS", tasks[0].error ?? "");
      assert.equal(tasks[0].trigger, "scheduled");
      assert.deepEqual(tasks[0].rows, { users: i + 2 });
      assert.equal((await targets[i].rows("users", "id")).length, i + 2);
    }
  } finally {
    await scheduler.stop();
    for (const x of targets) await x.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});
