/** The sync scheduler: cron in a time zone, and a scheduled run started once across two instances. */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { createResource } from "../../src/services/resources.ts";
import { cronMatches, parseCron } from "../../src/sync/cron.ts";
import { startSyncScheduler } from "../../src/sync/scheduler.ts";
import { listSyncTasks } from "../../src/sync/syncs.ts";
import { testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { pgTarget } from "../destinations/_targets.ts";
import { connectorsDir, setupSync } from "./_connectors.ts";

Deno.test("cronMatches() reads the wall clock of the schedule's time zone", () => {
  const nine = parseCron("0 9 * * 1-5");
  // 00:00 UTC on Monday 2026-03-02 is 09:00 in Tokyo.
  assert.equal(cronMatches(nine, new Date("2026-03-02T00:00:00Z"), "Asia/Tokyo"), true);
  assert.equal(cronMatches(nine, new Date("2026-03-02T00:00:00Z"), "UTC"), false);
  assert.equal(cronMatches(nine, new Date("2026-03-02T09:00:00Z"), "UTC"), true);
  // Saturday in Tokyo: weekdays only.
  assert.equal(cronMatches(nine, new Date("2026-03-07T00:00:00Z"), "Asia/Tokyo"), false);
  const every15 = parseCron("*/15 * * * *");
  assert.equal(cronMatches(every15, new Date("2026-03-02T10:45:30Z"), "UTC"), true);
  assert.equal(cronMatches(every15, new Date("2026-03-02T10:46:00Z"), "UTC"), false);
  assert.throws(() => parseCron("61 * * * *"), /minute: 61 is outside 0-59/);
  assert.throws(() => parseCron("* * *"), /expected 5 fields/);
});

Deno.test("a sync connection refuses a bad schedule or time zone, naming the field", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const svc = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "service",
      data: { name: "S", package: "fake-source" },
    }) as { id: string };
    const dest = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      data: { name: "D", destinationType: "postgres", host: "127.0.0.1", database: "x", username: "u" },
    }) as { id: string };
    const base = { workspaceId: u.workspace.id, type: "connection" };
    await assert.rejects(
      () =>
        createResource(u.ctx, {
          ...base,
          data: { type: "sync", fromId: svc.id, toId: dest.id, data: { schedule: "every hour" } },
        }),
      /data\.schedule: must be a cron expression/,
    );
    await assert.rejects(
      () =>
        createResource(u.ctx, {
          ...base,
          data: {
            type: "sync",
            fromId: svc.id,
            toId: dest.id,
            data: { schedule: "0 * * * *", timezone: "Mars/Olympus" },
          },
        }),
      /data\.timezone: must be an IANA time zone/,
    );
    await assert.rejects(
      () =>
        createResource(u.ctx, {
          ...base,
          data: {
            type: "sync",
            fromId: svc.id,
            toId: dest.id,
            data: { streams: { users: { sync_mode: "sometimes" } } },
          },
        }),
      /data\.streams\.users\.sync_mode: must be full_refresh or incremental/,
    );
    const res = await t.request("/api/schema/connection/sync");
    assert.equal(res.status, 200);
    const schema = await res.json();
    assert.ok(schema.properties.data.properties.streams);
    assert.ok(schema.properties.data.properties.tableNamePrefix);
  } finally {
    await t.close();
  }
});

Deno.test("[postgres] two instances on one database start a scheduled run once", async () => {
  const dir = await connectorsDir();
  const db = await testPostgres();
  const other = openPostgres(db.url, { max: 2 });
  const clock = fakeClock(new Date("2026-03-02T10:04:50Z"));
  const env = { SYNC_CONNECTORS_DIR: dir };
  const a = await testApp({ db, clock, env });
  const b = await testApp({ db: other, clock, env });
  const target = await pgTarget();
  const schedulers = [startSyncScheduler(a.deps, { everyMs: 0 }), startSyncScheduler(b.deps, { everyMs: 0 })];
  try {
    const u = await a.user();
    const s = await setupSync(u, target, {
      credentials: { api_key: "good", count: 4 },
      data: {
        schedule: "5 11 * * *",
        timezone: "Europe/Berlin",
        streams: { users: { sync_mode: "full_refresh" } },
      },
    });
    assert.deepEqual((await Promise.all(schedulers.map((x) => x.tick()))).flat(), [], "10:04 UTC is not due");
    clock.set(new Date("2026-03-02T10:05:20Z")); // 11:05 in Berlin
    const started = (await Promise.all(schedulers.map((x) => x.tick()))).flat();
    assert.equal(started.length, 1);
    await started[0].done;
    clock.set(new Date("2026-03-02T10:05:50Z"));
    assert.deepEqual(
      (await Promise.all(schedulers.map((x) => x.tick()))).flat(),
      [],
      "the minute fired already",
    );
    const { tasks } = await listSyncTasks(u.ctx, {
      workspaceId: u.workspace.id,
      connectionId: s.connectionId,
    });
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].status, "SUCCESS", tasks[0].error ?? "");
    assert.equal(tasks[0].trigger, "scheduled");
    assert.equal((await target.rows("users", "id")).length, 4);
  } finally {
    await Promise.all(schedulers.map((x) => x.stop()));
    await target.drop();
    await b.close();
    await a.close();
    await other.close().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the scheduler's tick drops finished tasks older than EVENTS_LOG_MAX_AGE_DAYS", async () => {
  const clock = fakeClock(new Date("2026-03-02T10:00:00Z"));
  const t = await testApp({ clock, env: { EVENTS_LOG_MAX_AGE_DAYS: "2" } });
  const scheduler = startSyncScheduler(t.deps, { everyMs: 0 });
  try {
    const { insertSyncTask, updateSyncTask } = await import("../../src/store/sync_repo.ts");
    for (const [id, at] of [["old", "2026-02-27T10:00:00Z"], ["new", "2026-03-01T10:00:00Z"]]) {
      const now = new Date(at);
      await insertSyncTask(t.deps.db, {
        id,
        workspaceId: "w",
        connectionId: "c",
        status: "RUNNING",
        trigger: "manual",
        fullSync: false,
        now,
      });
      await updateSyncTask(t.deps.db, { workspaceId: "w", id }, { status: "SUCCESS", now });
    }
    await scheduler.tick();
    const rows = await t.deps.db.query<{ id: string }>("select id from sync_tasks order by id");
    assert.deepEqual(rows.map((r) => r.id), ["new"]);
  } finally {
    await scheduler.stop();
    await t.close();
  }
});
