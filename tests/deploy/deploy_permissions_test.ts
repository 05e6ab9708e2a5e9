/**
 * `main.ts serve` as Deno Deploy runs it: network and environment, reading the deployment's own files
 * only, and nothing else: no --allow-run (so Functions cannot use a runner process), no --allow-write (so
 * nothing can be written anywhere), no --allow-ffi, no --allow-sys; DENO_DEPLOYMENT_ID set; PostgreSQL.
 * Then a user's whole path works: ingest -> function -> webhook, a looping function stopped, MCP
 * tools/list, an OAuth sign-in, Live Events.
 */
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport } from "../_helpers/test_tools.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";
import { runSluice, startSluice } from "../_helpers/process.ts";
import { startReceiver } from "../pipeline/fixtures.ts";
import { CookieJar, oauthSignIn } from "./_oauth.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
/** What Deno Deploy grants a deployment (docs/deploy.md). */
const DEPLOY_PERMISSIONS = ["--allow-env", "--allow-net", `--allow-read=${ROOT}`];

// deno-lint-ignore no-explicit-any
type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function eventually<T>(what: string, fn: () => Promise<T | null | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  while (true) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("under Deno Deploy's permissions: ingest -> function -> webhook, a looping function stopped, MCP, OAuth, Live Events", async () => {
  const pg = await freshPostgresDatabase();
  const rx = startReceiver();
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = `${await Deno.makeTempDir()}/must-not-exist`;
  const env = {
    DENO_DEPLOYMENT_ID: "test-deployment",
    DATABASE_URL: pg.url,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    SLUICE_ADMIN_EMAIL: "admin@example.com",
    SLUICE_ADMIN_PASSWORD: "a long password",
    FUNCTIONS_TIMEOUT_MS: "1000",
  };
  const server = await startSluice(env, { permissions: DEPLOY_PERMISSIONS });
  const client = new Client({ name: "deploy-e2e", version: "1.0.0" });
  try {
    assert.equal(server.url, url);
    assert.match(server.log(), /Deno Deploy profile: background work also runs in passes/);
    assert.match(server.log(), /"functions":"worker"/);
    assert.match(server.log(), /"syncs":"not run here: connectors need subprocesses/);
    assert.match(server.log(), /"triggers":"Deno.cron and requests"/, "deno.json turns Deno.cron on");
    const key = await runSluice(["apikey", "create", "--email", "admin@example.com"], {
      env: { DATABASE_URL: pg.url },
    });
    assert.equal(key.code, 0, key.stderr);
    const auth = `Bearer ${key.stdout.trim()}`;
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: auth } },
      }),
    );
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === "create_resource"));
    assert.ok(tools.tools.some((t) => t.name === "query_events"));
    const call = async (name: string, args: Record<string, unknown>) => {
      const r = await client.callTool({ name, arguments: args }) as Result;
      if (r.isError) throw new Error(`${name} failed: ${r.content.map((c) => c.text).join("")}`);
      return r.structuredContent;
    };
    const [ws] = (await call("list_workspaces", {})).workspaces as { id: string }[];
    const stream = await call("create_resource", {
      workspaceId: ws.id,
      type: "stream",
      data: { name: "web" },
    });
    const dest = await call("create_resource", {
      workspaceId: ws.id,
      type: "destination",
      data: { name: "hook", destinationType: "webhook", url: rx.url },
    });
    const fn = await call("create_resource", {
      workspaceId: ws.id,
      type: "function",
      data: {
        name: "enrich",
        code: `export default async function (event, ctx) {
  ctx.log.info("enriching", event.messageId);
  await ctx.store.set("last", event.messageId);
  return { ...event, plan: event.properties.plan.toUpperCase(), seen: await ctx.store.get("last") };
}`,
      },
    });
    const conn = await call("create_resource", {
      workspaceId: ws.id,
      type: "connection",
      data: {
        fromId: stream.id,
        toId: dest.id,
        type: "push",
        data: { functions: [{ functionId: `udf.${fn.id}` }] },
      },
    });
    const ingest = (body: Record<string, unknown>) =>
      fetch(`${url}/api/s/s2s/track`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Basic ${btoa(`${stream.writeKey}:`)}`,
        },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    assert.deepEqual(await ingest({ event: "Upgraded", messageId: "evt-1", properties: { plan: "team" } }), {
      status: 200,
      body: { ok: true, messageId: "evt-1" },
    });
    await rx.waitFor(1, 30_000);
    assert.equal(rx.bodies[0].plan, "TEAM");
    assert.equal(rx.bodies[0].seen, "evt-1");

    // Live Events: the incoming entry, the function's own log line, the delivery.
    const incoming = await call("query_events", { workspaceId: ws.id, type: "incoming", source: stream.id });
    assert.equal(incoming.events[0].content.status, "SUCCESS");
    const logs = await eventually("the function's log entry", async () => {
      const r = await call("query_events", { workspaceId: ws.id, type: "function", source: conn.id });
      return r.events.length ? r.events : null;
    });
    assert.ok(
      logs.some((e: { content: { message?: { text?: string } } }) => e.content.message?.text === "enriching"),
    );
    const delivered = await eventually("the delivery entry", async () => {
      const r = await call("query_events", { workspaceId: ws.id, type: "bulker_stream", source: conn.id });
      return r.events.length ? r.events : null;
    });
    assert.equal(delivered[0].content.status, "SUCCESS");

    // A function that never yields is stopped by terminating its Worker, and the server goes on.
    const loop = await call("create_resource", {
      workspaceId: ws.id,
      type: "function",
      data: { name: "spin", code: "export default function () { while (true) {} }" },
    });
    await call("update_resource", {
      workspaceId: ws.id,
      type: "connection",
      id: conn.id,
      data: { data: { functions: [{ functionId: `udf.${loop.id}` }] } },
    });
    assert.equal((await ingest({ event: "Spin", messageId: "evt-2", properties: {} })).status, 200);
    const stopped = await eventually("the looping function's timeout", async () => {
      const r = await call("query_events", {
        workspaceId: ws.id,
        type: "function",
        source: conn.id,
        levels: "error",
      });
      return r.events.find((e: { content: unknown }) =>
        /did not finish within 1000 ms/.test(JSON.stringify(e.content))
      );
    }, 30_000);
    assert.ok(stopped);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal(rx.bodies.length, 1, "the stopped call's event was not delivered");

    // An OAuth sign-in as a browser does it: login form, consent, code, token; the token lists tools.
    const jar = new CookieJar();
    const tokens = await oauthSignIn(url, jar, {
      email: "admin@example.com",
      password: "a long password",
      workspaceId: ws.id,
    });
    const listed = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    assert.equal(listed.status, 200);
    const text = await listed.text();
    assert.match(text, /"query_events"/);

    // The browser script is read from the deployment's own files.
    const pjs = await fetch(`${url}/p.js`);
    assert.equal(pjs.status, 200);
    assert.match(pjs.headers.get("content-type") ?? "", /javascript/);
    assert.ok((await pjs.text()).length > 1000);

    // Nothing was written: the embedded store's folder was never made.
    await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound);
    assert.doesNotMatch(server.log(), /NotCapable|PermissionDenied|Requires (run|write|ffi|sys) access/);
  } finally {
    await client.close().catch(() => {});
    const code = await server.stop();
    await rx.close();
    await pg.drop();
    assert.equal(code, 0, server.log());
  }
});

Deno.test("the Deploy profile refuses the embedded store in one line, with a bad setting's exit code", async () => {
  const other = await runSluice(["serve"], { env: { PORT: "not-a-port" } });
  assert.match(other.stderr, /Invalid setting PORT/);
  const r = await runSluice(["serve"], { env: { DENO_DEPLOYMENT_ID: "test-deployment", PORT: "0" } });
  assert.equal(r.code, other.code, r.stderr);
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /DATABASE_URL/);
  assert.match(lines[0], /Deno Deploy \(DENO_DEPLOYMENT_ID is set\) needs PostgreSQL/);
  assert.match(lines[0], /the embedded store writes files/);
  const forced = await runSluice(["serve"], { env: { RUNTIME: "deploy", PORT: "0" } });
  assert.equal(forced.code, other.code, forced.stderr);
  assert.match(forced.stderr, /Deno Deploy \(RUNTIME=deploy\) needs PostgreSQL: set DATABASE_URL/);
});
