/** run_sync into ClickHouse: fixture connectors -> a throwaway ClickHouse server (Debian's 18.16). */
import assert from "node:assert/strict";
import { createResource, updateResource } from "../../src/services/resources.ts";
import { getSyncState, resetSyncState, runSync } from "../../src/sync/syncs.ts";
import { testApp, type TestUser } from "../_helpers/app.ts";
import { clickhouseServer } from "../_helpers/clickhouse.ts";
import { connectorsDir, setupSync } from "./_connectors.ts";
import { waitForTask } from "./_wait.ts";

const server = await clickhouseServer();

interface ChTarget {
  kind: "clickhouse";
  name: string;
  credentials: Record<string, unknown>;
}

async function withSync(fn: (s: { u: TestUser; target: ChTarget }) => Promise<void>) {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const db = await server.database();
  try {
    const u = await t.user();
    await fn({ u, target: { kind: "clickhouse", name: db.name, credentials: db.credentials } });
  } finally {
    await db.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(u: TestUser, connectionId: string) {
  const r = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId });
  return await waitForTask(u, connectionId, r.taskId);
}

/** Rows of a table, read with FINAL (duplicates of a key merged away) when asked. */
function rows(target: ChTarget, table: string, { final = false } = {}) {
  return server.query(
    `SELECT * FROM ${target.name}.${table}${final ? " FINAL" : ""} ORDER BY ${
      table.endsWith("ev") ? "n" : "id"
    }`,
  );
}

async function engine(target: ChTarget, table: string) {
  const [t] = await server.query(
    `SELECT engine, sorting_key FROM system.tables WHERE database = '${target.name}' AND name = '${table}'`,
  );
  return t;
}

function setCount(u: TestUser, serviceId: string, credentials: Record<string, unknown>) {
  return updateResource(u.ctx, {
    workspaceId: u.workspace.id,
    type: "service",
    id: serviceId,
    data: { credentials: { api_key: "good", ...credentials } },
  });
}

Deno.test("[clickhouse] a full-refresh run writes each stream to its table and replaces its rows next time", async () => {
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
    const users = await rows(target, "src_users");
    assert.equal(users.length, 25);
    assert.equal(users[0].name, "user 1");
    assert.equal(users[0].profile_tier, "gold");
    assert.equal((await rows(target, "src_ev")).length, 3);
    assert.equal((await engine(target, "src_users")).engine, "MergeTree", "no key to deduplicate on");
    // The source shrinks: a full refresh leaves exactly what it read this time, never appends.
    await setCount(u, s.serviceId, { count: 10, events: 3 });
    const again = await run(u, s.connectionId);
    assert.equal(again.status, "SUCCESS", again.error ?? "");
    const after = await rows(target, "src_users");
    assert.deepEqual(after.map((r) => Number(r.id)), Array.from({ length: 10 }, (_, i) => i + 1));
    assert.equal((await rows(target, "src_ev")).length, 3);
  });
});

Deno.test("[clickhouse] an incremental run adds only new rows; re-sent rows are not duplicated with FINAL", async () => {
  await withSync(async ({ u, target }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 10 },
      data: { streams: { users: { sync_mode: "incremental", cursor_field: ["id"], primary_key: [["id"]] } } },
    });
    const first = await run(u, s.connectionId);
    assert.equal(first.status, "SUCCESS", first.error ?? "");
    const table = await engine(target, "users");
    assert.equal(table.engine, "ReplacingMergeTree");
    assert.equal(table.sorting_key, "id");
    const state = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.deepEqual(state.state, { users: { cursor: 10 } });
    await setCount(u, s.serviceId, { count: 15 });
    const second = await run(u, s.connectionId);
    assert.equal(second.status, "SUCCESS", second.error ?? "");
    assert.deepEqual(second.rows, { users: 5 }, "only the rows after the saved cursor");
    const ids = Array.from({ length: 15 }, (_, i) => i + 1);
    // Without FINAL too: nothing was re-sent yet.
    assert.deepEqual((await rows(target, "users")).map((r) => Number(r.id)), ids);
    // Reset: every row is sent again; the primary key keeps one row per id when read with FINAL.
    await resetSyncState(u.ctx, { workspaceId: u.workspace.id, syncId: s.connectionId });
    const third = await run(u, s.connectionId);
    assert.equal(third.status, "SUCCESS", third.error ?? "");
    assert.deepEqual(third.rows, { users: 15 });
    const merged = await rows(target, "users", { final: true });
    assert.deepEqual(merged.map((r) => Number(r.id)), ids);
    assert.equal(merged[14].name, "user 15");
  });
});

Deno.test("[clickhouse] a connector killed mid-run saves only the state whose rows were written; the next run resumes", async () => {
  await withSync(async ({ u, target }) => {
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 40, stateEvery: 10, crashAfter: 25 },
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const crashed = await run(u, s.connectionId);
    assert.equal(crashed.status, "FAILED");
    const state = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.deepEqual(state.state, { users: { cursor: 20 } });
    assert.equal((await rows(target, "users", { final: true })).length, 20);
    await setCount(u, s.serviceId, { count: 40, stateEvery: 10, crashAfter: 100 });
    const resumed = await run(u, s.connectionId);
    assert.equal(resumed.status, "SUCCESS", resumed.error ?? "");
    assert.deepEqual(resumed.rows, { users: 20 });
    const all = await rows(target, "users", { final: true });
    assert.deepEqual(all.map((r) => Number(r.id)), Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

Deno.test("[clickhouse] a run against a server that does not answer fails with the reason and saves no state", async () => {
  await withSync(async ({ u, target }) => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const s = await setupSync(u, {
      kind: "clickhouse",
      credentials: { ...target.credentials, hosts: [`127.0.0.1:${port}`] },
    }, {
      credentials: { api_key: "good", count: 5 },
      data: { streams: { users: { sync_mode: "incremental", primary_key: [["id"]] } } },
    });
    const task = await run(u, s.connectionId);
    assert.equal(task.status, "FAILED");
    assert.match(task.error ?? "", /Cannot connect to clickhouse at 127\.0\.0\.1:\d+: connection refused/);
    const state = await getSyncState(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    assert.deepEqual(state.state, {});
  });
});

Deno.test("a sync connection to a destination that is not a warehouse is refused, naming toId", async () => {
  await withSync(async ({ u }) => {
    const service = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "service",
      data: { name: "Fake", package: "fake-source", version: "1.0", credentials: { api_key: "good" } },
    }) as { id: string };
    const hook = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      data: { name: "Hook", destinationType: "webhook", url: "https://example.com/hook" },
    }) as { id: string };
    await assert.rejects(
      createResource(u.ctx, {
        workspaceId: u.workspace.id,
        type: "connection",
        data: { type: "sync", fromId: service.id, toId: hook.id, data: {} },
      }),
      (e: Error & { status?: number }) => {
        assert.equal(e.status, 400);
        assert.match(
          e.message,
          /toId: a sync writes to a postgres, mysql, clickhouse destination, not webhook/,
        );
        return true;
      },
    );
  });
});
