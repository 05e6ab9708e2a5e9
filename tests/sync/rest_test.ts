/** The sync REST routes on Jitsu's paths, and the MCP tools through /mcp. */
import assert from "node:assert/strict";
import { expectJson, testApp } from "../_helpers/app.ts";
import { pgTarget } from "../destinations/_targets.ts";
import { connectorsDir, setupSync } from "./_connectors.ts";
import { waitForTask } from "./_wait.ts";

async function mcp(
  t: Awaited<ReturnType<typeof testApp>>,
  auth: string,
  name: string,
  args: Record<string, unknown>,
) {
  const res = await t.request("/mcp", {
    method: "POST",
    headers: {
      authorization: auth,
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    json: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } },
  });
  const body = await expectJson(res, 200);
  return body.result as {
    isError?: boolean;
    structuredContent: Record<string, unknown>;
    content: { text: string }[];
  };
}

Deno.test("[postgres] REST /api/{ws}/sources/*: spec, check, discover, run, tasks, logs, state, stat", async () => {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await pgTarget();
  try {
    const u = await t.user();
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 3 },
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const ws = u.workspace.id;
    const h = { authorization: u.auth };
    const spec = await expectJson(
      await t.request(`/api/${ws}/sources/spec?package=fake-source&version=1.0`, { headers: h }),
      200,
    );
    assert.deepEqual(spec.secretFields, ["api_key"]);
    const bad = await t.request(`/api/${ws}/sources/spec?package=..%2Fetc`, { headers: h });
    const badBody = await expectJson(bad, 400);
    assert.match(JSON.stringify(badBody), /package/);
    const check = await expectJson(
      await t.request(`/api/${ws}/sources/check?serviceId=${s.serviceId}`, { method: "POST", headers: h }),
      200,
    );
    assert.equal(check.status, "SUCCEEDED");
    const disc = await expectJson(
      await t.request(`/api/${ws}/sources/discover?serviceId=${s.serviceId}`, { headers: h }),
      200,
    );
    assert.equal(disc.streams.length, 2);
    const run = await expectJson(
      await t.request(`/api/${ws}/sources/run?syncId=${s.connectionId}`, { method: "POST", headers: h }),
      200,
    );
    assert.ok(run.taskId);
    assert.equal((await waitForTask(u, s.connectionId, run.taskId)).status, "SUCCESS");
    const tasks = await expectJson(
      await t.request(`/api/${ws}/sources/tasks?syncId=${s.connectionId}`, { headers: h }),
      200,
    );
    assert.equal(tasks.tasks[0].taskId, run.taskId);
    assert.deepEqual(tasks.tasks[0].rows, { users: 3 });
    const logs = await expectJson(
      await t.request(`/api/${ws}/sources/logs?syncId=${s.connectionId}&taskId=${run.taskId}`, {
        headers: h,
      }),
      200,
    );
    assert.ok(logs.logs.length >= 2);
    const state = await expectJson(
      await t.request(`/api/${ws}/sources/state?syncId=${s.connectionId}`, { headers: h }),
      200,
    );
    assert.deepEqual(state.state, { users: { cursor: 3 } });
    const reset = await expectJson(
      await t.request(`/api/${ws}/sources/state?syncId=${s.connectionId}`, { method: "DELETE", headers: h }),
      200,
    );
    assert.equal(reset.deleted, 1);
    const stat = await expectJson(await t.request(`/api/${ws}/sources/stat`, { headers: h }), 200);
    assert.deepEqual(stat.syncs[s.connectionId].tasks, { SUCCESS: 1 });
    const missing = await t.request(`/api/${ws}/sources/run`, { method: "POST", headers: h });
    assert.match(JSON.stringify(await expectJson(missing, 400)), /connectionId/);
    assert.equal((await t.request(`/api/${ws}/sources/tasks?syncId=${s.connectionId}`)).status, 401);
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[postgres] MCP run_sync returns a task id; another workspace's user cannot see or run the sync", async () => {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await pgTarget();
  try {
    const u = await t.user();
    const other = await t.user();
    const s = await setupSync(u, target, { credentials: { api_key: "good", count: 2 }, data: {} });
    const r = await mcp(t, u.auth, "run_sync", { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.ok(!r.isError, r.content[0].text);
    const taskId = r.structuredContent.taskId as string;
    const done = await waitForTask(u, s.connectionId, taskId);
    // Without data.streams every discovered stream is synced in full.
    assert.deepEqual(done.rows, { users: 2, events: 0 });
    const logs = await mcp(t, u.auth, "get_sync_logs", {
      workspaceId: u.workspace.id,
      connectionId: s.connectionId,
    });
    assert.equal(logs.structuredContent.taskId, taskId);
    for (const tool of ["run_sync", "list_sync_tasks", "get_sync_state"]) {
      const denied = await mcp(t, other.auth, tool, {
        workspaceId: u.workspace.id,
        connectionId: s.connectionId,
      });
      assert.equal(denied.isError, true, tool);
      assert.match(denied.content[0].text, /not found/);
      const wrongWs = await mcp(t, other.auth, tool, {
        workspaceId: other.workspace.id,
        connectionId: s.connectionId,
      });
      assert.equal(wrongWs.isError, true, tool);
    }
    const discover = await mcp(t, other.auth, "discover_streams", {
      workspaceId: other.workspace.id,
      serviceId: s.serviceId,
    });
    assert.equal(discover.isError, true);
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});
