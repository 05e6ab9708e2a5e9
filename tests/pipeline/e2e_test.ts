/**
 * The pipeline end to end: the real server with its pipeline workers, the MCP SDK's own client, a local
 * webhook receiver, and events sent with fetch to the ingest API.
 */
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport } from "../_helpers/test_tools.ts";
import { startServer } from "../../src/server.ts";
import { testApp } from "../_helpers/app.ts";
import { startReceiver } from "./fixtures.ts";

// deno-lint-ignore no-explicit-any
type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

async function eventually<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  while (true) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("MCP + ingest + pipeline: transform, see errors in Live Events, fix the function, deliver", async () => {
  const t = await testApp({ env: { PIPELINE_WORKERS: "1", FUNCTIONS_TIMEOUT_MS: "2000" } });
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  const rx = startReceiver();
  const client = new Client({ name: "e2e", version: "1.0.0" });
  try {
    const u = await t.user();
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: u.auth } },
      }),
    );
    const call = async (name: string, args: Record<string, unknown>) => {
      const r = await client.callTool({ name, arguments: args }) as Result;
      if (r.isError) throw new Error(`${name} failed: ${r.content.map((c) => c.text).join("")}`);
      return r.structuredContent;
    };
    const ws = u.workspace.id;
    const stream = await call("create_resource", { workspaceId: ws, type: "stream", data: { name: "web" } });
    const writeKey = stream.writeKey as string;
    assert.match(writeKey, /^[^:]+:.+$/);
    const dest = await call("create_resource", {
      workspaceId: ws,
      type: "destination",
      data: { name: "hook", destinationType: "webhook", url: rx.url },
    });
    const fn = await call("create_resource", {
      workspaceId: ws,
      type: "function",
      data: {
        name: "enrich",
        code: `export default async function (event, ctx) {
  ctx.log.info("enriching", event.messageId);
  if (event.properties.plan === undefined) throw new Error("no plan on " + event.event);
  return { ...event, plan: event.properties.plan.toUpperCase() };
}`,
      },
    });
    const conn = await call("create_resource", {
      workspaceId: ws,
      type: "connection",
      data: {
        fromId: stream.id,
        toId: dest.id,
        type: "push",
        data: { functions: [{ functionId: `udf.${fn.id}` }] },
      },
    });

    // The function works on a sample first (run_function saves nothing).
    const trial = await call("run_function", {
      workspaceId: ws,
      functionId: fn.id,
      event: { type: "track", event: "x", properties: { plan: "pro" } },
    });
    assert.equal(trial.result.plan, "PRO");

    const ingest = (body: Record<string, unknown>) =>
      fetch(`${server.url}/api/s/s2s/track`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${writeKey}:`)}` },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    const first = await ingest({ event: "Upgraded", messageId: "evt-1", properties: { plan: "team" } });
    assert.deepEqual(first, { status: 200, body: { ok: true, messageId: "evt-1" } });
    await rx.waitFor(1);
    assert.equal(rx.bodies[0].plan, "TEAM");
    assert.equal(rx.bodies[0].event, "Upgraded");

    const incoming = await call("query_events", { workspaceId: ws, type: "incoming", source: stream.id });
    assert.equal(incoming.events[0].content.status, "SUCCESS");
    const delivered = await eventually("bulker_stream entry", async () => {
      const r = await call("query_events", { workspaceId: ws, type: "bulker_stream", source: conn.id });
      return r.events.length ? r.events : null;
    });
    assert.equal(delivered[0].content.status, "SUCCESS");
    assert.equal(delivered[0].content.target, rx.url);
    const logs = await call("query_events", { workspaceId: ws, type: "function", source: conn.id });
    assert.ok(
      logs.events.some((e: { content: { message: { text: string } } }) =>
        e.content.message?.text === "enriching"
      ),
    );

    // A throwing function: the event still goes through unchanged, and the error shows with levels=error.
    await ingest({ event: "NoPlan", messageId: "evt-2", properties: {} });
    await rx.waitFor(2);
    assert.equal(rx.bodies[1].plan, undefined);
    const errors = await eventually("an error entry", async () => {
      const r = await call("query_events", {
        workspaceId: ws,
        type: "function",
        source: conn.id,
        levels: "error",
      });
      return r.events.length ? r.events : null;
    });
    assert.match(errors[0].content.message.args[1], /no plan on NoPlan/);
    assert.equal(errors[0].content.error.line, 3, "the error points at the line in the user's code");

    // Fix the code with update_resource; the next event is transformed.
    await call("update_resource", {
      workspaceId: ws,
      type: "function",
      id: fn.id,
      data: {
        code: `export default async function (event) {
  return { ...event, plan: (event.properties.plan ?? "free").toUpperCase() };
}`,
      },
    });
    await ingest({ event: "NoPlanAgain", messageId: "evt-3", properties: {} });
    await rx.waitFor(3);
    assert.equal(rx.bodies[2].plan, "FREE");

    // send_test_event injects without a write key.
    const sent = await call("send_test_event", {
      workspaceId: ws,
      streamId: stream.id,
      event: { event: "Test", properties: { plan: "x" } },
    });
    assert.deepEqual(sent.connectionIds, [conn.id]);
    await rx.waitFor(4);
    assert.equal(rx.bodies[3].messageId, sent.messageId);
  } finally {
    await client.close();
    await rx.close();
    await server.shutdown();
  }
  // Shutdown stopped what compose built: the function's runner process, and the ingest writer.
  assert.equal(t.deps.sandbox.processCount, 0, "no runner process left");
  await assert.rejects(t.deps.ingest.writer.write([]), /closed/);
});
