/**
 * MCP end to end: the real server, the SDK's own clients (v2, and the 1.x client that most MCP
 * hosts embed today), a personal API key, and the whole resource and Live Events flow.
 */
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport } from "../_helpers/test_tools.ts";
import { appendEvents } from "../../src/events_log/events_log.ts";
import { startServer } from "../../src/server.ts";
import { testApp, type TestUser } from "../_helpers/app.ts";
import { Client as ClientV1, StreamableHTTPClientTransport as TransportV1 } from "../_helpers/mcp_sdk_v1.ts";
import { CORE_TOOLS } from "./rpc.ts";

const TOOLS = CORE_TOOLS;

async function withServer(fn: (url: URL, t: Awaited<ReturnType<typeof testApp>>) => Promise<void>) {
  const t = await testApp();
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  try {
    await fn(new URL(`${server.url}/mcp`), t);
  } finally {
    await server.shutdown();
  }
}

// deno-lint-ignore no-explicit-any
type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

function v2Session(client: Client): Session {
  return {
    listTools: async () => (await client.listTools()).tools,
    call: async (name, args) => await client.callTool({ name, arguments: args }) as Result,
  };
}

function textOf(r: Result): string {
  return r.content.map((c) => c.text ?? "").join("");
}

/** What each client offers the flow: the two calls an agent makes. */
interface Session {
  listTools(): Promise<{ name: string; outputSchema?: Record<string, unknown> }[]>;
  call(name: string, args: Record<string, unknown>): Promise<Result>;
}

/**
 * The whole flow: list the tools, get every schema, create a stream, a destination, a function
 * and a connection, read them back, update, delete, and read Live Events, asserting content each step.
 */
async function fullFlow(session: Session, t: Awaited<ReturnType<typeof testApp>>, u: TestUser) {
  const call = session.call;
  const ok = async (name: string, args: Record<string, unknown>) => {
    const r = await call(name, args);
    assert.ok(!r.isError, `${name} failed: ${textOf(r)}`);
    assert.deepEqual(JSON.parse(textOf(r)), r.structuredContent, "text carries the same JSON");
    return r.structuredContent;
  };

  const tools = await session.listTools();
  // The nine configuration and Live Events tools come first; the others follow them.
  assert.deepEqual(tools.slice(0, TOOLS.length).map((x) => x.name), TOOLS);
  for (const tool of tools) assert.equal(tool.outputSchema?.type, "object", tool.name);

  const { workspaces } = await ok("list_workspaces", {});
  assert.deepEqual(workspaces.map((w: { id: string }) => w.id), [u.workspace.id]);
  const ws = u.workspace.id;

  for (const type of ["stream", "destination", "function", "connection", "service"]) {
    const s = await ok("get_resource_schema", { type });
    assert.equal(s.type, type);
    assert.ok(s.schema && typeof s.schema === "object", `${type} has a schema`);
  }
  const webhookSchema = await ok("get_resource_schema", { type: "destination", subtype: "webhook" });
  assert.ok(JSON.stringify(webhookSchema.schema).includes('"url"'), "webhook schema names its url field");

  const stream = await ok("create_resource", {
    workspaceId: ws,
    type: "stream",
    data: { name: "Website" },
  });
  assert.match(stream.id, /^[a-z0-9]+$/);
  assert.equal(stream.name, "Website");
  const dest = await ok("create_resource", {
    workspaceId: ws,
    type: "destination",
    data: {
      name: "Hook",
      destinationType: "webhook",
      url: "https://example.com/hook",
      headers: ["Authorization: Bearer hook-s3cret-value"],
    },
  });
  const fn = await ok("create_resource", {
    workspaceId: ws,
    type: "function",
    data: {
      name: "Tagger",
      code: "export default function tag(event) { event.tagged = true; return event; }",
    },
  });
  const conn = await ok("create_resource", {
    workspaceId: ws,
    type: "connection",
    data: {
      fromId: stream.id,
      toId: dest.id,
      type: "push",
      data: { functions: [{ functionId: `udf.${fn.id}` }] },
    },
  });
  assert.equal(conn.fromId, stream.id);
  assert.equal(conn.toId, dest.id);

  const gotDest = await ok("get_resource", { workspaceId: ws, type: "destination", id: dest.id });
  assert.equal(gotDest.url, "https://example.com/hook");
  assert.ok(!JSON.stringify(gotDest).includes("hook-s3cret-value"), "secrets are masked");
  const gotFn = await ok("get_resource", { workspaceId: ws, type: "function", id: fn.id });
  assert.match(gotFn.code, /event\.tagged = true/);
  const slim = await ok("list_resources", { workspaceId: ws, type: "function", slim: true });
  assert.deepEqual(slim.objects.map((o: { id: string }) => o.id), [fn.id]);
  assert.equal(slim.objects[0].code, undefined, "slim leaves the code out");
  const conns = await ok("list_resources", { workspaceId: ws, type: "connection" });
  assert.deepEqual(conns.objects.map((o: { id: string }) => o.id), [conn.id]);

  const renamed = await ok("update_resource", {
    workspaceId: ws,
    type: "function",
    id: fn.id,
    data: { name: "Tagger v2" },
    expectedUpdatedAt: gotFn.updatedAt,
  });
  assert.equal(renamed.name, "Tagger v2");
  assert.equal(
    (await ok("get_resource", { workspaceId: ws, type: "function", id: fn.id })).name,
    "Tagger v2",
  );
  const stale = await call("update_resource", {
    workspaceId: ws,
    type: "function",
    id: fn.id,
    data: { name: "Tagger v3" },
    expectedUpdatedAt: "2000-01-01T00:00:00.000Z",
  });
  assert.equal(stale.isError, true, "a stale write is refused");

  const sources = await ok("list_event_sources", { workspaceId: ws });
  const kinds = Object.fromEntries(
    sources.sources.map((s: { id: string; kind: string }) => [s.id, s.kind]),
  );
  assert.deepEqual(kinds, { [stream.id]: "stream", [conn.id]: "connection", [dest.id]: "destination" });
  assert.equal(
    sources.sources.find((s: { id: string }) => s.id === conn.id).name,
    "Website → Hook",
  );

  await appendEvents(t.deps.db, [
    {
      workspaceId: ws,
      actorId: stream.id,
      type: "incoming",
      level: "info",
      message: { status: "SUCCESS", n: 1 },
    },
    {
      workspaceId: ws,
      actorId: stream.id,
      type: "incoming",
      level: "error",
      message: { status: "FAILED", n: 2 },
    },
    {
      workspaceId: ws,
      actorId: conn.id,
      type: "bulker_stream",
      level: "info",
      message: { status: "SUCCESS" },
    },
  ]);
  const incoming = await ok("query_events", { workspaceId: ws, type: "incoming", source: stream.id });
  assert.deepEqual(incoming.events.map((e: { content: { n: number } }) => e.content.n), [2, 1]);
  const errors = await ok("query_events", {
    workspaceId: ws,
    type: "incoming",
    source: stream.id,
    levels: "error",
  });
  assert.deepEqual(errors.events.map((e: { content: { status: string } }) => e.content.status), [
    "FAILED",
  ]);
  const writes = await ok("query_events", { workspaceId: ws, type: "bulker_stream", source: dest.id });
  assert.deepEqual(writes.events.map((e: { actorId: string }) => e.actorId), [conn.id]);

  const strict = await call("delete_resource", {
    workspaceId: ws,
    type: "stream",
    id: stream.id,
    strict: true,
  });
  assert.equal(strict.isError, true, "strict delete of a connected stream is refused");
  assert.match(textOf(strict), new RegExp(conn.id));
  await ok("delete_resource", { workspaceId: ws, type: "connection", id: conn.id });
  await ok("delete_resource", { workspaceId: ws, type: "function", id: fn.id });
  const gone = await call("get_resource", { workspaceId: ws, type: "function", id: fn.id });
  assert.equal(gone.isError, true);
  assert.match(textOf(gone), /not found/);
}

Deno.test("v2 client (2025-11-25): tools, every schema, create/read/update/delete each type, Live Events", async () => {
  await withServer(async (url, t) => {
    const u = await t.user();
    const client = new Client({ name: "sluice-e2e", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { Authorization: u.auth } },
    });
    await client.connect(transport);
    try {
      assert.equal(transport.protocolVersion, "2025-11-25");
      await fullFlow(v2Session(client), t, u);
    } finally {
      await client.close();
    }
  });
});

Deno.test("v2 client pinned to 2026-07-28 runs the same flow without initialize or a session", async () => {
  await withServer(async (url, t) => {
    const u = await t.user();
    const client = new Client({ name: "sluice-e2e-modern", version: "1.0.0" }, {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
    });
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { Authorization: u.auth } },
    });
    await client.connect(transport);
    try {
      await fullFlow(v2Session(client), t, u);
      const bad = await client.callTool({ name: "list_workspaces", arguments: { limit: "five" } }) as Result;
      assert.equal(bad.isError, true);
      assert.equal(textOf(bad), "Cannot list workspaces: limit: must be a number");
    } finally {
      await client.close();
    }
  });
});

Deno.test("1.x client runs the same flow; it checks every structuredContent against the tool's outputSchema", async () => {
  await withServer(async (url, t) => {
    const u = await t.user();
    const client = new ClientV1({ name: "sluice-e2e-v1", version: "1.0.0" });
    await client.connect(new TransportV1(url, { requestInit: { headers: { Authorization: u.auth } } }));
    try {
      await fullFlow(
        {
          listTools: async () => (await client.listTools()).tools,
          call: async (name, args) => await client.callTool({ name, arguments: args }) as Result,
        },
        t,
        u,
      );
    } finally {
      await client.close();
    }
  });
});

Deno.test("1.x client: a change over MCP is in the audit log with its channel and key", async () => {
  await withServer(async (url, t) => {
    const u = await t.user();
    const client = new ClientV1({ name: "sluice-e2e-v1", version: "1.0.0" });
    await client.connect(new TransportV1(url, { requestInit: { headers: { Authorization: u.auth } } }));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.slice(0, TOOLS.length).map((x) => x.name), TOOLS);
      const ws = u.workspace.id;
      // The 1.x client checks structuredContent against each tool's outputSchema: a mismatch throws.
      const created = await client.callTool({
        name: "create_resource",
        arguments: { workspaceId: ws, type: "stream", data: { name: "Server events" } },
      }) as Result;
      assert.ok(!created.isError, textOf(created));
      const id = created.structuredContent.id;
      // One code path, one audit log: the change is recorded as coming over MCP, with the key used.
      const audit = await fetch(new URL(`/api/${ws}/audit-log?objectId=${id}`, url), {
        headers: { authorization: u.auth },
      });
      const { entries } = await audit.json();
      assert.equal(entries.length, 1);
      assert.equal(entries[0].action, "create");
      assert.equal(entries[0].channel, "mcp");
      assert.deepEqual(entries[0].via, { kind: "api_key", keyId: u.key.split(":")[0] });
      const got = await client.callTool({
        name: "get_resource",
        arguments: { workspaceId: ws, type: "stream", id },
      }) as Result;
      assert.equal(got.structuredContent.name, "Server events");
      await appendEvents(t.deps.db, [
        { workspaceId: ws, actorId: id, type: "incoming", level: "warn", message: { text: "late event" } },
      ]);
      const events = await client.callTool({
        name: "query_events",
        arguments: { workspaceId: ws, type: "incoming", source: id },
      }) as Result;
      assert.deepEqual(events.structuredContent.events.map((e: { content: unknown }) => e.content), [
        { text: "late event" },
      ]);
      const sources = await client.callTool({
        name: "list_event_sources",
        arguments: { workspaceId: ws },
      }) as Result;
      assert.deepEqual(sources.structuredContent.sources.map((s: { id: string }) => s.id), [id]);
      const ws1 = await client.callTool({ name: "list_workspaces", arguments: {} }) as Result;
      assert.equal(ws1.structuredContent.hasMore, false);
    } finally {
      await client.close();
    }
  });
});
