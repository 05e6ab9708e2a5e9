/**
 * `deno task bench mcp`: one run, one process tree (this process generates load; a child serves). Reads
 * one function (`get_resource`) and a listing (`list_resources`) as MCP tools/call over HTTP and through
 * the REST API, next to a bare Hono handler (the HTTP ceiling) and a raw primary-key SELECT through the
 * same driver and pools as the server (the database ceiling), and a bare Hono handler running that SELECT
 * (what this stack allows for one read), each with 50 concurrent connections. Prints requests/s, p50, p99
 * and the ratios. Targets: MCP >= 50% of REST for the same read, REST >= 40% of the raw SELECT.
 * HTTP load comes from bench/_http.ts's keep-alive client, not fetch() (see there why).
 * Figures only, never assertions (STYLE.md). PostgreSQL at BENCH_DATABASE_URL (default the local server;
 * a throwaway database is created and dropped); BENCH_SECONDS per scenario (default 5); BENCH_CONCURRENCY.
 */
import postgres from "postgres";
import { Hono } from "hono";
import { loadConfig } from "../src/config.ts";
import { openDeps } from "../src/compose.ts";
import { createApp } from "../src/app.ts";
import { cliPrincipal } from "../src/auth/principal.ts";
import type { Ctx } from "../src/deps.ts";
import { createLogger } from "../src/log.ts";
import { createApiKey } from "../src/services/api_keys.ts";
import { createResource } from "../src/services/resources.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import { openPostgres } from "../src/store/postgres.ts";
import { HttpConnection } from "./_http.ts";

interface Target {
  app: string;
  bare: string;
  /** A bare Hono handler that runs the raw SELECT: what this stack allows for one read. */
  bareSelect: string;
  auth: string;
  ws: string;
  id: string;
}

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
const CONCURRENCY = Number(Deno.env.get("BENCH_CONCURRENCY") ?? 50);

/** Child: serves Sluice and a bare Hono app on two ports, prints what the parent needs, runs until killed. */
export async function serve(dbUrl: string) {
  const config = loadConfig({ PUBLIC_URL: "http://127.0.0.1:3000", DATABASE_URL: dbUrl, LOG_LEVEL: "error" });
  const deps = await openDeps(config, { log: createLogger({ level: "error" }) });
  const user = await createUser(deps.db, { email: "bench@example.com", password: null, isAdmin: false });
  const ctx: Ctx = { ...deps, principal: cliPrincipal(user), requestId: "bench" };
  const ws = await createWorkspace(ctx, { name: "Bench" });
  const key = await createApiKey(ctx, { name: "bench" });
  let id = "";
  for (let i = 0; i < 5; i++) {
    const fn = await createResource(ctx, {
      workspaceId: ws.id,
      type: "function",
      data: {
        name: `Fn ${i}`,
        code: `export default function f${i}(event) { event.n = ${i}; return event; }`,
      },
    });
    id = String(fn.id);
  }
  const app = createApp(deps);
  const bare = new Hono();
  bare.get("/", (c) => c.json({ ok: true }));
  const rawDb = openPostgres(dbUrl);
  bare.get("/select", async (c) => {
    const rows = await rawDb.query("select * from config_objects where id = $1", [id]);
    return c.json(rows[0]);
  });
  const a = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const b = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, bare.fetch);
  const target: Target = {
    app: `http://127.0.0.1:${a.addr.port}`,
    bare: `http://127.0.0.1:${b.addr.port}`,
    bareSelect: `http://127.0.0.1:${b.addr.port}/select`,
    auth: `Bearer ${key.plaintext}`,
    ws: ws.id,
    id,
  };
  console.log(JSON.stringify(target));
}

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

type Op = () => Promise<boolean>;

/**
 * Runs `CONCURRENCY` loops for `SECONDS` (after a one-second warm-up); each loop gets its own operation
 * from `lane()` (its own keep-alive connection for HTTP).
 */
async function load(name: string, lane: () => Op): Promise<Result> {
  const ops = Array.from({ length: CONCURRENCY }, lane);
  const warmEnd = performance.now() + 1000;
  await Promise.all(ops.map(async (op) => {
    while (performance.now() < warmEnd) await op();
  }));
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(ops.map(async (op) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await op();
      } catch {
        // counted as an error below
      }
      latencies.push(performance.now() - t0);
      if (!ok) errors++;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((x, y) => x - y);
  return {
    name,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

const connections: HttpConnection[] = [];

function connection(url: URL): HttpConnection {
  const c = new HttpConnection(url);
  connections.push(c);
  return c;
}

function httpGet(url: string, headers: Record<string, string>, check: (text: string) => boolean) {
  const u = new URL(url);
  return function lane(): Op {
    const c = connection(u);
    return async function request(): Promise<boolean> {
      const res = await c.request("GET", u.pathname, headers);
      return res.status === 200 && check(res.body);
    };
  };
}

function mcpCall(t: Target, tool: string, args: Record<string, unknown>) {
  const headers = {
    authorization: t.auth,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2025-11-25",
  };
  const u = new URL(`${t.app}/mcp`);
  return function lane(): Op {
    const c = connection(u);
    let n = 0;
    return async function call(): Promise<boolean> {
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: ++n,
        method: "tools/call",
        params: { name: tool, arguments: args },
      });
      const res = await c.request("POST", u.pathname, headers, body);
      return res.status === 200 && res.body.includes('"structuredContent"') &&
        !res.body.includes('"isError":true');
    };
  };
}

async function freshDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sluice_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const s = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await s.unsafe(`drop database if exists ${name} with (force)`);
      await s.end();
    },
  };
}

function fmt(r: Result): string {
  return `${r.name.padEnd(42)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${
    r.p50.toFixed(2).padStart(7)
  } ms   ` +
    `p99 ${r.p99.toFixed(2).padStart(7)} ms${r.errors ? `   ${r.errors} errors` : ""}`;
}

async function run() {
  const adminUrl = Deno.env.get("BENCH_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const db = await freshDatabase(adminUrl);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-no-legacy-abort", new URL(import.meta.url).pathname, "--serve", db.url],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("bench server exited before it was ready");
      buffered += value;
    }
    reader.releaseLock();
    const t = JSON.parse(buffered.split("\n")[0]) as Target;
    const auth = { authorization: t.auth };
    console.log(
      `bench mcp: ${CONCURRENCY} concurrent connections, ${SECONDS} s per scenario, PostgreSQL store\n`,
    );

    const results: Record<string, Result> = {};
    const measure = async (key: string, name: string, lane: () => Op) => {
      results[key] = await load(name, lane);
      for (const c of connections.splice(0)) c.close();
      console.log(fmt(results[key]));
    };
    await measure("bare", "bare Hono handler", httpGet(t.bare, {}, (x) => x.includes("ok")));
    await measure(
      "bareSelect",
      "bare Hono handler + the raw SELECT",
      httpGet(t.bareSelect, {}, (x) => x.includes(t.id)),
    );
    await measure(
      "restGet",
      "REST GET /api/{ws}/config/function/{id}",
      httpGet(`${t.app}/api/${t.ws}/config/function/${t.id}`, auth, (x) => x.includes(t.id)),
    );
    await measure(
      "mcpGet",
      "MCP tools/call get_resource",
      mcpCall(t, "get_resource", { workspaceId: t.ws, type: "function", id: t.id }),
    );
    await measure(
      "restList",
      "REST GET /api/{ws}/config/function",
      httpGet(`${t.app}/api/${t.ws}/config/function`, auth, (x) => x.includes(t.id)),
    );
    await measure(
      "mcpList",
      "MCP tools/call list_resources",
      mcpCall(t, "list_resources", { workspaceId: t.ws, type: "function" }),
    );
    // The database ceiling, in this process through the same driver and the same store code as the server
    // (so the same pools: 2 connections for statements); the server runs the same query, plus the HTTP
    // request, authentication (a cached key row), and the workspace access check.
    const raw = openPostgres(db.url);
    await measure("raw", "raw SELECT by primary key", () => async () => {
      const rows = await raw.query("select * from config_objects where id = $1", [t.id]);
      return rows.length === 1;
    });
    await raw.close();

    const pct = (a: Result, b: Result) => `${((a.rps / b.rps) * 100).toFixed(0)}%`;
    console.log(`
MCP get_resource  / REST get      ${pct(results.mcpGet, results.restGet).padStart(5)}   (target >= 50%)
MCP list_resources / REST list    ${pct(results.mcpList, results.restList).padStart(5)}   (target >= 50%)
REST get / raw SELECT             ${pct(results.restGet, results.raw).padStart(5)}   (target >= 40%)
REST get / bare Hono              ${pct(results.restGet, results.bare).padStart(5)}
REST get / bare Hono + SELECT     ${
      pct(results.restGet, results.bareSelect).padStart(5)
    }   (what auth, access check, masking cost)
bare Hono + SELECT / raw SELECT   ${
      pct(results.bareSelect, results.raw).padStart(5)
    }   (the stack's own ceiling for the 40% target)`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await db.drop();
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") await serve(Deno.args[1]);
  else await run();
}
