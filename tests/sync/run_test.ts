/** run_sync end to end: fixture connectors -> a throwaway PostgreSQL schema. */
import assert from "node:assert/strict";
import { getSyncLogs, getSyncState, listSyncTasks, resetSyncState, runSync } from "../../src/sync/syncs.ts";
import { testApp, type TestUser } from "../_helpers/app.ts";
import { mysqlTarget, pgTarget, type Target } from "../destinations/_targets.ts";
import { connectorsDir, setupSync } from "./_connectors.ts";
import { waitForTask } from "./_wait.ts";

async function withSync(
  fn: (
    s: { u: TestUser; target: Target; dir: string; t: Awaited<ReturnType<typeof testApp>> },
  ) => Promise<void>,
  env: Record<string, string> = {},
) {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir, ...env } });
  const target = await pgTarget();
  try {
    const u = await t.user();
    await fn({ u, target, dir, t });
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(u: TestUser, connectionId: string, extra: Record<string, unknown> = {}) {
  const r = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId, ...extra });
  return await waitForTask(u, connectionId, r.taskId);
}

Deno.test("[postgres] a full-refresh run writes every stream to its prefixed table and replaces it next time", async () => {
  await withSync(async ({ u, target }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 25, events: 3 },
      data: {
        tableNamePrefix: "src_",
        streams: {
          users: { sync_mode: "full_refresh" },
          events: { sync_mode: "full_refresh", table_name: "ev" },
        },
      },
    });
    const task = await run(u, s.connectionId);
    assert.equal(task.status, "SUCCESS", task.error ?? "");
    assert.deepEqual(task.rows, { users: 25, events: 3 });
    const users = await target.rows("src_users", "id");
    assert.equal(users.length, 25);
    assert.equal(users[0].name, "user 1");
    assert.equal(users[0].profile_tier, "gold");
    assert.equal((await target.rows("src_ev", "n")).length, 3);
    const again = await run(u, s.connectionId);
    assert.equal(again.status, "SUCCESS");
    assert.equal((await target.rows("src_users", "id")).length, 25, "full refresh replaces, never appends");
  });
});

Deno.test("[postgres] an incremental run adds only new rows, resuming from the saved per-stream state", async () => {
  await withSync(async ({ u, target, t }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 10 },
      data: { streams: { users: { sync_mode: "incremental", cursor_field: ["id"], primary_key: [["id"]] } } },
    });
    assert.equal((await run(u, s.connectionId)).status, "SUCCESS");
    const state = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.deepEqual(state.state, { users: { cursor: 10 } });
    // The source grows by 5: the next run reads only those.
    await import("../../src/services/resources.ts").then((m) =>
      m.updateResource(u.ctx, {
        workspaceId: u.workspace.id,
        type: "service",
        id: s.serviceId,
        data: { credentials: { api_key: "good", count: 15 } },
      })
    );
    const second = await run(u, s.connectionId);
    assert.equal(second.status, "SUCCESS", second.error ?? "");
    assert.deepEqual(second.rows, { users: 5 });
    const rows = await target.rows("users", "id");
    assert.deepEqual(rows.map((r) => Number(r.id)), Array.from({ length: 15 }, (_, i) => i + 1));
    // reset_sync_state: the next run reads everything again; the primary key keeps rows unique.
    await resetSyncState(u.ctx, { workspaceId: u.workspace.id, syncId: s.connectionId });
    const third = await run(u, s.connectionId);
    assert.deepEqual(third.rows, { users: 15 });
    assert.equal((await target.rows("users", "id")).length, 15);
    const logs = await getSyncLogs(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.ok(logs.logs.some((l) => l.source === "connector" && l.message === "reading from 0"));
    assert.ok(t.logLines.length >= 0);
  });
});

Deno.test("[postgres] a connector killed mid-run fails the task; the next run resumes without loss or duplicates", async () => {
  await withSync(async ({ u, target }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 40, stateEvery: 10, crashAfter: 25 },
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const crashed = await run(u, s.connectionId);
    assert.equal(crashed.status, "FAILED");
    assert.match(crashed.error ?? "", /exited with code/);
    const state = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.deepEqual(state.state, { users: { cursor: 20 } }, "the last state whose records were committed");
    const written = await target.rows("users", "id");
    assert.equal(written.length, 20, "records after the last state were not written");
    // The connector recovers (crashAfter beyond what is left): the run picks up at 21.
    const { updateResource } = await import("../../src/services/resources.ts");
    await updateResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "service",
      id: s.serviceId,
      data: { credentials: { api_key: "good", count: 40, stateEvery: 10, crashAfter: 100 } },
    });
    const resumed = await run(u, s.connectionId);
    assert.equal(resumed.status, "SUCCESS", resumed.error ?? "");
    assert.deepEqual(resumed.rows, { users: 20 });
    const rows = await target.rows("users", "id");
    assert.deepEqual(rows.map((r) => Number(r.id)), Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

Deno.test("[postgres] legacy state is saved and handed back as the state file", async () => {
  await withSync(async ({ u, target }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 5, legacyState: true },
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    assert.equal((await run(u, s.connectionId)).status, "SUCCESS");
    const state = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.deepEqual(state.state, { _legacy: { users: 5 } });
    const again = await run(u, s.connectionId);
    assert.deepEqual(again.rows, { users: 0 });
  });
});

Deno.test("[postgres] garbage output is logged and never fatal; secrets in LOG lines are masked", async () => {
  await withSync(async ({ u, target, t }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "sup3r-s3cret-key", count: 3, garbage: true, leak: true, showPath: true },
      data: { streams: { users: { sync_mode: "full_refresh" } } },
    });
    const task = await run(u, s.connectionId);
    assert.equal(task.status, "SUCCESS", task.error ?? "");
    const logs = await getSyncLogs(u.ctx, {
      workspaceId: u.workspace.id,
      connectionId: s.connectionId,
      taskId: task.taskId,
    });
    const text = JSON.stringify(logs);
    assert.match(text, /not a protocol message \(not JSON\): hello, this is not JSON/);
    assert.match(text, /unknown message type/);
    assert.match(text, /using key \*\*\*/);
    assert.ok(!text.includes("sup3r-s3cret-key"));
    assert.ok(!t.logLines.join("\n").includes("sup3r-s3cret-key"));
    // The config file (decrypted credentials) was private and is gone after the run.
    const m = /config file (\S+) mode (\d+)/.exec(text);
    assert.ok(m, "the connector reported its config file");
    assert.equal(m[2], "600");
    await assert.rejects(() => Deno.stat(m[1]), Deno.errors.NotFound);
  });
});

Deno.test("[postgres] a TRACE error fails the task with the connector's message", async () => {
  await withSync(async ({ u, target }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 2, failAtEnd: true },
      data: { streams: { users: { sync_mode: "full_refresh" } } },
    });
    const task = await run(u, s.connectionId);
    assert.equal(task.status, "FAILED");
    assert.match(task.error ?? "", /source API returned 500/);
    const list = await listSyncTasks(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.equal(list.tasks.length, 1);
  });
});

Deno.test("[mysql] a sync writes into a MariaDB destination, upserting incremental rows on the primary key", async () => {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await mysqlTarget();
  try {
    const u = await t.user();
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 12, stateEvery: 5 },
      data: {
        tableNamePrefix: "m_",
        streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } },
      },
    });
    const first = await run(u, s.connectionId);
    assert.equal(first.status, "SUCCESS", first.error ?? "");
    await resetSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.equal((await run(u, s.connectionId)).status, "SUCCESS");
    const rows = await target.rows("m_users", "id");
    assert.deepEqual(rows.map((r) => Number(r.id)), Array.from({ length: 12 }, (_, i) => i + 1));
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});
