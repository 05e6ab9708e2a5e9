/** The statistics rollup: counted as ingest and the pipeline work, read by REST and MCP, compacted by retention. */
import assert from "node:assert/strict";
import { applyStatRetention } from "../../src/events_log/retention.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { getEventStat } from "../../src/services/event_stat.ts";
import { addConnectionStats } from "../../src/store/event_stat_repo.ts";
import { addMember } from "../../src/store/workspaces_repo.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { callTool } from "../mcp/rpc.ts";
import { setupPipeline } from "../pipeline/fixtures.ts";

Deno.test("GET /api/{ws}/stat counts incoming, refused, delivered and dropped events with its defaults", async () => {
  const t = await testApp();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "devnull" },
      functionCode: `export default function (e) { if (e.event === "drop me") return "drop"; }`,
    });
    const send = (json: unknown) =>
      t.request("/api/s/s2s/track", { method: "POST", headers: { "x-write-key": s.serverKey }, json });
    for (const event of ["a", "b", "drop me"]) await expectJson(await send({ event }), 200);
    assert.equal((await send({ userId: "no event name" })).status, 400);
    await pipeline.drain();

    const body = await expectJson(
      await t.request(`/api/${u.workspace.id}/stat`, { headers: { authorization: u.auth } }),
      200,
    );
    assert.deepEqual(body.totals, { incoming: 3, error: 1, delivered: 2, dropped: 1 });
    assert.equal(body.granularity, "hour");
    assert.equal(Date.parse(body.end) - Date.parse(body.start), 24 * 3600_000);
    const delivered = body.rows.find((r: { status: string }) => r.status === "delivered");
    assert.deepEqual(
      { ...delivered, period: undefined },
      {
        period: undefined,
        workspaceId: u.workspace.id,
        streamId: s.streamId,
        connectionId: s.connectionId,
        destinationId: s.destinationId,
        status: "delivered",
        events: 2,
      },
    );
    assert.equal(new Date(delivered.period).getUTCMinutes(), 0);
    const incoming = body.rows.find((r: { status: string }) => r.status === "incoming");
    assert.equal(incoming.connectionId, null);

    // Filters: one status, one connection; the MCP tool returns the same counts.
    const onlyErrors = await expectJson(
      await t.request(`/api/${u.workspace.id}/stat?status=error,dropped&connectionId=${s.connectionId}`, {
        headers: { authorization: u.auth },
      }),
      200,
    );
    assert.deepEqual(onlyErrors.totals, { dropped: 1 });
    const viaMcp = await callTool(t, u.auth, "get_event_stat", { workspaceId: u.workspace.id });
    assert.equal(viaMcp.isError, undefined);
    assert.deepEqual(viaMcp.structuredContent.totals, body.totals);
  } finally {
    await pipeline.stop();
    await t.close();
  }
});

Deno.test("GET /api/{ws}/stat refuses bad arguments with the field named", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const get = (q: string) =>
      t.request(`/api/${u.workspace.id}/stat?${q}`, { headers: { authorization: u.auth } });
    const week = await expectJson(await get("granularity=week"), 400);
    assert.match(
      week.error.message,
      /^Cannot read event statistics: granularity: must be one of minute, hour, day/,
    );
    const date = await expectJson(await get("start=yesterday"), 400);
    assert.match(date.error.message, /start: must be an ISO 8601 date/);
    const order = await expectJson(await get("start=2026-02-01T00:00:00Z&end=2026-01-01T00:00:00Z"), 400);
    assert.match(order.error.message, /start: must be before end/);
    const minutes = await expectJson(
      await get("granularity=minute&start=2026-01-01T00:00:00Z&end=2026-01-03T00:00:00Z"),
      400,
    );
    assert.match(minutes.error.message, /granularity: minute needs a span of at most 24 hours/);
    const status = await expectJson(await get("status=lost"), 400);
    assert.match(status.error.message, /status: must be one or a list of/);
  } finally {
    await t.close();
  }
});

Deno.test("statistics stay in their workspace; analysts may read them", async () => {
  const t = await testApp();
  try {
    const a = await t.user();
    const b = await t.user();
    const analyst = await t.user();
    await addMember(t.deps.db, a.workspace.id, analyst.id, "analyst");
    await addConnectionStats(t.deps.db, [
      {
        workspaceId: a.workspace.id,
        connectionId: "c1",
        status: "delivered",
        minute: new Date(Date.now() - 60_000),
        events: 5,
      },
    ]);
    const other = await t.request(`/api/${a.workspace.id}/stat`, { headers: { authorization: b.auth } });
    assert.equal(other.status, 404);
    const bOwn = await expectJson(
      await t.request(`/api/${b.workspace.id}/stat`, { headers: { authorization: b.auth } }),
      200,
    );
    assert.deepEqual(bOwn.rows, []);
    const viaMcp = await callTool(t, b.auth, "get_event_stat", { workspaceId: a.workspace.id });
    assert.equal(viaMcp.isError, true);
    const read = await expectJson(
      await t.request(`/api/${a.workspace.id}/stat`, { headers: { authorization: analyst.auth } }),
      200,
    );
    assert.deepEqual(read.totals, { delivered: 5 });
  } finally {
    await t.close();
  }
});

Deno.test("applyStatRetention() drops minute rows after 7 days and hour rows after 90; reads keep every count", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const now = new Date("2026-06-01T12:30:00Z");
    const day = 86_400_000;
    const old = new Date(now.getTime() - 10 * day);
    const recent = new Date(now.getTime() - 2 * day);
    const delta = (minute: Date, events: number) => ({
      workspaceId: ws,
      connectionId: "c1",
      status: "delivered",
      minute,
      events,
    });
    await addConnectionStats(t.deps.db, [
      delta(old, 2),
      delta(new Date(old.getTime() + 60_000), 3),
      delta(new Date(old.getTime() + 120_000), 4),
      delta(recent, 7),
      delta(new Date(now.getTime() - 91 * day), 100),
    ]);
    const rows = () =>
      t.deps.db.query<{ period: Date; granularity: string; events: string }>(
        "select period, granularity, events::text as events from event_stat where workspace_id = $1 order by period, granularity",
        [ws],
      );
    assert.equal((await rows()).length, 8, "each count is written to its minute and its hour");
    const r = await applyStatRetention(t.deps.db, { now });
    assert.deepEqual(r, { minutes: 3 + 1, hours: 1, skipped: false });
    assert.deepEqual((await rows()).map((x) => [new Date(x.period).toISOString(), x.granularity, x.events]), [
      ["2026-05-22T12:00:00.000Z", "hour", "9"],
      ["2026-05-30T12:00:00.000Z", "hour", "7"],
      [recent.toISOString(), "minute", "7"],
    ]);
    const ctx = { ...u.ctx, clock: { now: () => now } };
    const days = await getEventStat(ctx, {
      workspaceId: ws,
      start: new Date(now.getTime() - 30 * day).toISOString(),
      granularity: "day",
    });
    assert.deepEqual(days.totals, { delivered: 16 });
    assert.deepEqual(days.rows.map((x) => [x.period, x.events]), [
      ["2026-05-30T00:00:00.000Z", 7],
      ["2026-05-22T00:00:00.000Z", 9],
    ]);
    const minutes = await getEventStat(ctx, {
      workspaceId: ws,
      start: new Date(recent.getTime() - 60_000).toISOString(),
      end: new Date(recent.getTime() + 60_000).toISOString(),
      granularity: "minute",
    });
    assert.deepEqual(minutes.rows.map((x) => [x.period, x.events]), [[recent.toISOString(), 7]]);
    assert.deepEqual(await applyStatRetention(t.deps.db, { now }), { minutes: 0, hours: 0, skipped: false });
  } finally {
    await t.close();
  }
});

Deno.test("[postgres] concurrent ingest requests and pipeline commits are all counted", async () => {
  const t = await testApp({ db: await testPostgres() });
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.request("/api/s/s2s/batch", {
          method: "POST",
          headers: { "x-write-key": s.serverKey },
          json: { batch: Array.from({ length: 5 }, (_, k) => ({ type: "track", event: `e${i}-${k}` })) },
        })),
    );
    for (const r of responses) assert.equal(r.status, 200, await r.text());
    await pipeline.drain();
    const stat = await getEventStat(u.ctx, { workspaceId: u.workspace.id });
    assert.deepEqual(stat.totals, { incoming: 200, delivered: 200 });
    const minutes = await getEventStat(u.ctx, {
      workspaceId: u.workspace.id,
      granularity: "minute",
      start: new Date(Date.now() - 3600_000).toISOString(),
    });
    assert.deepEqual(minutes.totals, { incoming: 200, delivered: 200 });
  } finally {
    await pipeline.stop();
    await t.close();
  }
});
