/** Live Events details of the pipeline, and its two MCP tools' failure answers. */
import assert from "node:assert/strict";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { createResource, updateResource } from "../../src/services/resources.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { callTool } from "../mcp/rpc.ts";
import { setupPipeline } from "./fixtures.ts";

Deno.test("a refused event is an error-level incoming entry with the reason; nothing is queued", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    const res = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: { userId: "no event name" },
    });
    assert.equal(res.status, 400);
    const errors = await queryEvents(t.deps.db, {
      workspaceId: u.workspace.id,
      type: "incoming",
      actorId: s.streamId,
      levels: ["error"],
    });
    assert.equal(errors.events.length, 1);
    const m = errors.events[0].message as { status: string; error: string; body: string };
    assert.equal(m.status, "FAILED");
    assert.match(m.error, /a track event needs "event"/);
    assert.equal(JSON.parse(m.body).httpPayload.userId, "no event name");
    const q = await t.deps.db.query("select 1 from event_queue");
    assert.equal(q.length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("function debug logs reach Live Events only while the connection's debugTill is in the future", async () => {
  const t = await testApp();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "devnull" },
      functionCode:
        `export default function (e, ctx) { ctx.log.debug("dbg", e.event); ctx.log.info("inf"); }`,
    });
    const send = (name: string) =>
      t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { event: name },
      });
    await expectJson(await send("before"), 200);
    await pipeline.drain();
    await updateResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "connection",
      id: s.connectionId,
      data: { data: { debugTill: new Date(Date.now() + 3600_000).toISOString() } },
    });
    await expectJson(await send("during"), 200);
    await pipeline.drain();
    const page = await queryEvents(t.deps.db, {
      workspaceId: u.workspace.id,
      type: "function",
      actorId: s.connectionId,
    });
    const debug = page.events.filter((e) => e.level === "debug");
    assert.equal(debug.length, 1);
    assert.deepEqual((debug[0].message as { message: { args: unknown[] } }).message.args, ["during"]);
    assert.equal(page.events.filter((e) => e.level === "info").length, 2);
  } finally {
    await pipeline.stop();
    await t.close();
  }
});

Deno.test("MCP run_function and send_test_event answer mistakes with isError results", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const noEvent = await callTool(t, u.auth, "run_function", {
      workspaceId: ws,
      code: "export default () => {}",
    });
    assert.equal(noEvent.isError, true);
    assert.match(noEvent.content[0].text, /Cannot run function: event/);
    const missing = await callTool(t, u.auth, "run_function", {
      workspaceId: ws,
      functionId: "nosuchfunction",
      event: {},
    });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0].text, /not found/);
    const badStream = await callTool(t, u.auth, "send_test_event", {
      workspaceId: ws,
      streamId: "nosuchstream",
      event: {},
    });
    assert.equal(badStream.isError, true);
    const badType = await callTool(t, u.auth, "send_test_event", {
      workspaceId: ws,
      streamId: (await createResource(u.ctx, { workspaceId: ws, type: "stream", data: { name: "s" } }) as {
        id: string;
      })
        .id,
      event: { type: "purchase" },
    });
    assert.equal(badType.isError, true);
    assert.match(badType.content[0].text, /event type "purchase" is not one of/);
  } finally {
    await t.close();
  }
});

Deno.test("send_test_event on a stream without connections says so and queues nothing", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const stream = await createResource(u.ctx, { workspaceId: ws, type: "stream", data: { name: "s" } }) as {
      id: string;
    };
    const r = await callTool(t, u.auth, "send_test_event", {
      workspaceId: ws,
      streamId: stream.id,
      event: { event: "x" },
    });
    assert.equal(r.isError, undefined);
    assert.equal(r.structuredContent.queued, false);
    assert.match(r.structuredContent.note, /no destinations found/);
  } finally {
    await t.close();
  }
});
