/** list_event_sources and query_events over MCP, on entries written through the events-log module. */
import assert from "node:assert/strict";
import { appendEvents, type EventLogEntry } from "../../src/events_log/events_log.ts";
import { createResource } from "../../src/services/resources.ts";
import { testApp } from "../_helpers/app.ts";
import { callTool } from "./rpc.ts";

Deno.test("list_event_sources lists streams, connections and destinations with their log types", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const workspaceId = u.workspace.id;
    const stream = await createResource(u.ctx, { workspaceId, type: "stream", data: { name: "App" } });
    const dest = await createResource(u.ctx, {
      workspaceId,
      type: "destination",
      data: { name: "Sink", destinationType: "webhook", url: "https://example.com/in" },
    });
    const conn = await createResource(u.ctx, {
      workspaceId,
      type: "connection",
      data: { fromId: stream.id, toId: dest.id, type: "push" },
    });
    const all = await callTool(t, u.auth, "list_event_sources", { workspaceId });
    assert.deepEqual(all.structuredContent.sources, [
      { id: stream.id, name: "App", kind: "stream", types: ["incoming"] },
      {
        id: conn.id,
        name: "App → Sink",
        kind: "connection",
        types: ["function", "bulker_stream", "bulker_batch", "dead-letter"],
      },
      { id: dest.id, name: "Sink", kind: "destination", types: ["bulker_stream", "bulker_batch"] },
    ]);
    const fn = await callTool(t, u.auth, "list_event_sources", { workspaceId, type: "function" });
    assert.deepEqual(fn.structuredContent.sources.map((s: { id: string }) => s.id), [conn.id]);
    const bad = await callTool(t, u.auth, "list_event_sources", { workspaceId, type: "outgoing" });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /^Cannot list event sources: type: must be one of/);
  } finally {
    await t.close();
  }
});

Deno.test("query_events pages through a source with nextCursor and filters by levels, search and time", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const workspaceId = u.workspace.id;
    const base = Date.parse("2026-05-01T00:00:00Z");
    const entries: EventLogEntry[] = Array.from({ length: 7 }, (_, i) => ({
      workspaceId,
      actorId: "conn1",
      type: "function",
      level: i % 3 === 0 ? "error" : "info",
      timestamp: new Date(base + i * 60_000),
      message: { type: i % 3 === 0 ? "log-error" : "log-info", message: { text: `step ${i}`, args: [] } },
    }));
    await appendEvents(t.deps.db, entries);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const r = await callTool(t, u.auth, "query_events", {
        workspaceId,
        type: "function",
        source: "conn1",
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(
        ...r.structuredContent.events.map((e: { content: { message: { text: string } } }) =>
          e.content.message.text
        ),
      );
      cursor = r.structuredContent.nextCursor ?? undefined;
      if (!cursor) break;
    }
    assert.deepEqual(seen, ["step 6", "step 5", "step 4", "step 3", "step 2", "step 1", "step 0"]);

    const errors = await callTool(t, u.auth, "query_events", {
      workspaceId,
      type: "function",
      levels: ["error"],
    });
    assert.deepEqual(
      errors.structuredContent.events.map((e: { content: { message: { text: string } } }) =>
        e.content.message.text
      ),
      ["step 6", "step 3", "step 0"],
    );
    const errorsOnly = await callTool(t, u.auth, "query_events", {
      workspaceId,
      type: "function",
      errorsOnly: true,
    });
    assert.deepEqual(errorsOnly.structuredContent, errors.structuredContent);
    const search = await callTool(t, u.auth, "query_events", {
      workspaceId,
      type: "function",
      source: "all",
      search: "STEP 4",
    });
    assert.equal(search.structuredContent.events.length, 1);
    const window = await callTool(t, u.auth, "query_events", {
      workspaceId,
      type: "function",
      start: "2026-05-01T00:01:00Z",
      end: "2026-05-01T00:03:00+00:00",
      levels: "info, error",
    });
    assert.deepEqual(
      window.structuredContent.events.map((e: { content: { message: { text: string } } }) =>
        e.content.message.text
      ),
      ["step 2", "step 1"],
    );
    const none = await callTool(t, u.auth, "query_events", { workspaceId, type: "incoming" });
    assert.deepEqual(none.structuredContent, { events: [], nextCursor: null, limit: 50 });
  } finally {
    await t.close();
  }
});
