/**
 * What the tools promise and what they do, through the MCP SDK 1.x client (which checks every
 * structuredContent against the tool's outputSchema and throws on a mismatch): `fields` keeps `id`,
 * limits over the maximum are clamped and said so, delete_resource refuses as its description says,
 * and run_function's annotations and read-only behaviour.
 */
import assert from "node:assert/strict";
import { startServer } from "../../src/server.ts";
import { dbFunctionStore } from "../../src/sandbox/function_store.ts";
import { type TestApp, testApp } from "../_helpers/app.ts";
import { Client, StreamableHTTPClientTransport } from "../_helpers/mcp_sdk_v1.ts";
import { connect } from "../oauth/_helpers.ts";

// deno-lint-ignore no-explicit-any
type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

async function withClient(
  fn: (
    call: (name: string, args: Record<string, unknown>) => Promise<Result>,
    t: TestApp,
    ws: string,
  ) => Promise<void>,
  { access }: { access?: "read" } = {},
) {
  const t = await testApp();
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  const client = new Client({ name: "sluice-contract", version: "1.0.0" });
  try {
    const u = await t.user();
    const auth = access ? `Bearer ${(await connect(t, u, { access })).tokens.access_token}` : u.auth;
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: auth } },
      }),
    );
    await fn(
      async (name, args) => await client.callTool({ name, arguments: args }) as Result,
      t,
      u.workspace.id,
    );
  } finally {
    await client.close();
    await server.shutdown();
  }
}

function textOf(r: Result): string {
  return r.content.map((c) => c.text ?? "").join("");
}

Deno.test("list_resources with fields keeps id, so the 1.x client's output check passes", async () => {
  await withClient(async (call, _t, ws) => {
    const made = await call("create_resource", { workspaceId: ws, type: "stream", data: { name: "Site" } });
    const r = await call("list_resources", { workspaceId: ws, type: "stream", fields: ["name"] });
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(r.structuredContent.objects, [{ id: made.structuredContent.id, name: "Site" }]);
  });
});

Deno.test("a limit over the maximum is clamped and the result's notice says so; within it, no notice", async () => {
  await withClient(async (call, _t, ws) => {
    for (let i = 0; i < 3; i++) {
      await call("create_resource", { workspaceId: ws, type: "stream", data: { name: `s${i}` } });
    }
    const listed = await call("list_resources", { workspaceId: ws, type: "stream", limit: 5000 });
    assert.equal(listed.isError, undefined, textOf(listed));
    assert.equal(listed.structuredContent.limit, 1000);
    assert.equal(listed.structuredContent.objects.length, 3);
    assert.match(listed.structuredContent.notice, /limit 5000 is over the maximum of 1000: clamped to 1000/);

    const small = await call("list_resources", { workspaceId: ws, type: "stream", limit: 2 });
    assert.equal(small.structuredContent.limit, 2);
    assert.equal(small.structuredContent.objects.length, 2);
    assert.equal(small.structuredContent.notice, undefined);

    const events = await call("query_events", { workspaceId: ws, type: "incoming", limit: 99999 });
    assert.equal(events.isError, undefined, textOf(events));
    assert.equal(events.structuredContent.limit, 1000);
    assert.match(events.structuredContent.notice, /limit 99999 .* clamped to 1000/);
    const plain = await call("query_events", { workspaceId: ws, type: "incoming" });
    assert.equal(plain.structuredContent.limit, 50);
    assert.equal(plain.structuredContent.notice, undefined);

    const workspaces = await call("list_workspaces", { limit: 101 });
    assert.equal(workspaces.structuredContent.limit, 100);
    assert.match(workspaces.structuredContent.notice, /clamped to 100/);

    // Not a page size at all is still a mistake, named.
    for (const limit of [0, 2.5]) {
      const bad = await call("list_resources", { workspaceId: ws, type: "stream", limit });
      assert.equal(bad.isError, true);
      assert.match(textOf(bad), /limit/);
    }
  });
});

Deno.test("delete_resource refuses while connections use the object, as its description says; cascade deletes them", async () => {
  await withClient(async (call, _t, ws) => {
    const stream = (await call("create_resource", { workspaceId: ws, type: "stream", data: { name: "S" } }))
      .structuredContent;
    const dest = (await call("create_resource", {
      workspaceId: ws,
      type: "destination",
      data: { name: "D", destinationType: "devnull" },
    })).structuredContent;
    const conn = (await call("create_resource", {
      workspaceId: ws,
      type: "connection",
      data: { fromId: stream.id, toId: dest.id },
    })).structuredContent;
    assert.ok(conn.id, "connection created");

    for (const flags of [{}, { strict: true }]) {
      const r = await call("delete_resource", { workspaceId: ws, type: "stream", id: stream.id, ...flags });
      assert.equal(r.isError, true, JSON.stringify(flags));
      assert.match(textOf(r), new RegExp(`connection\\(s\\) use it: "${conn.id}"`));
    }
    const still = await call("get_resource", { workspaceId: ws, type: "connection", id: conn.id });
    assert.equal(still.isError, undefined, "nothing was deleted or left dangling");

    const gone = await call("delete_resource", {
      workspaceId: ws,
      type: "stream",
      id: stream.id,
      cascade: true,
    });
    assert.equal(gone.isError, undefined, textOf(gone));
    assert.deepEqual(gone.structuredContent.deletedConnections, [conn.id]);
    const after = await call("get_resource", { workspaceId: ws, type: "connection", id: conn.id });
    assert.equal(after.isError, true);
  });
});

Deno.test("tool descriptions match behaviour: delete_resource never promises dangling links, run_function is open-world", async () => {
  const t = await testApp();
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  const client = new Client({ name: "sluice-contract", version: "1.0.0" });
  try {
    const u = await t.user();
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: u.auth } },
      }),
    );
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((x) => [x.name, x]));
    const del = byName.get("delete_resource")!;
    assert.doesNotMatch(del.description!, /with neither/);
    assert.match(del.description!, /refused with an error that lists them, unless cascade: true/);
    const run = byName.get("run_function")!;
    assert.equal(run.annotations?.readOnlyHint, false);
    assert.equal(run.annotations?.openWorldHint, true);
    assert.equal(run.annotations?.destructiveHint, false);
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("a read-only grant may run_function (its ctx.store is a copy) but not change anything stored", async () => {
  await withClient(async (call, t, ws) => {
    const code = "export default async function f(event, ctx) { await ctx.store.set('seen', event.n); " +
      "return { ...event, was: await ctx.store.get('before') }; }";
    const r = await call("run_function", { workspaceId: ws, code, event: { n: 7 }, store: { before: "x" } });
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(r.structuredContent.result, { n: 7, was: "x" });
    assert.deepEqual(r.structuredContent.store, { before: "x", seen: 7 });
    // The workspace's real store is untouched.
    assert.equal(await dbFunctionStore(t.deps.db, ws).get("seen"), undefined);

    const denied = await call("create_resource", { workspaceId: ws, type: "stream", data: { name: "x" } });
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /read-only/);
  }, { access: "read" });
});
