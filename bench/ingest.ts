/**
 * `deno task bench ingest [seconds]`: ingest throughput and latency on PostgreSQL and on PGlite, next to
 * the raw INSERT rates of the same database in the same run:
 * - raw single-row INSERT loop (10 in flight on a 10-connection pool) and raw 1000-row multi-row INSERT;
 * - single events at 50 concurrent connections (durable: queue row + incoming entry committed before 200);
 * - batches of 100 events;
 * - p50/p99 ingest latency at half the single-event peak rate;
 * - end to end: events/s from ingest to a local webhook (pipeline running, no function).
 * Targets: single >= raw single-row; batched >= 50% of raw multi-row; p99 < 20 ms at half peak.
 * The load generator is a Worker in this process: it shares the 2 cores with the server, so only compare
 * figures of one run. Figures only, no assertions (STYLE.md). PostgreSQL at PGTEST_URL or 127.0.0.1:5432;
 * BENCH_PGLITE=0 skips the PGlite half. Each measured phase starts after a one-second uncounted warm-up.
 */
import postgres from "postgres";
import { cliPrincipal } from "../src/auth/principal.ts";
import { openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import type { Ctx, Deps } from "../src/deps.ts";
import { createLogger } from "../src/log.ts";
import { Pipeline } from "../src/pipeline/pipeline.ts";
import { startServer } from "../src/server.ts";
import { createResource } from "../src/services/resources.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import type { Db } from "../src/store/db.ts";
import { openPglite } from "../src/store/pglite.ts";
import { openPostgres } from "../src/store/postgres.ts";
import type { LoadRequest, LoadResult } from "./_ingest_load.ts";

const SECONDS = Number(Deno.args[0] ?? "5");
const PG_ADMIN = Deno.env.get("PGTEST_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";

const EVENT = JSON.stringify({
  type: "track",
  event: "Order Completed",
  messageId: "bench-#N#",
  userId: "user-#N#",
  anonymousId: "anon-1234567890",
  properties: {
    orderId: "o-#N#",
    total: 129.99,
    currency: "EUR",
    products: [{ sku: "sku-1", qty: 2, price: 49.99 }],
  },
  context: {
    library: { name: "@jitsu/js", version: "1.9.0" },
    page: {
      url: "https://shop.example.com/checkout/complete",
      title: "Thank you",
      referrer: "https://shop.example.com/cart",
    },
    userAgent:
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36",
    locale: "en-US",
    campaign: { name: "winter", source: "newsletter", medium: "email" },
  },
});
const BATCH = `{"batch":[${
  Array.from({ length: 100 }, (_, k) => EVENT.replace('"bench-#N#"', `"bench-#N#-${k}"`)).join(",")
}]}`;

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function load(req: LoadRequest): Promise<LoadResult> {
  const w = new Worker(new URL("./_ingest_load.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => {
      w.terminate();
      resolve(e.data);
    };
    w.onerror = (e) => {
      w.terminate();
      reject(e);
    };
    w.postMessage(req);
  });
}

async function rawSingle(db: Db, ms: number): Promise<number> {
  await db.exec(
    "create table if not exists bench_raw (id bigint generated always as identity primary key, payload json not null)",
  );
  const until = performance.now() + ms;
  let n = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (performance.now() < until) {
      await db.query("insert into bench_raw (payload) values ($1::json)", [EVENT]);
      n++;
    }
  }));
  return n / ((performance.now() - started) / 1000);
}

async function rawMulti(db: Db, ms: number): Promise<number> {
  const values = Array.from({ length: 1000 }, (_, i) => `($${i + 1}::json)`).join(", ");
  const params = Array.from({ length: 1000 }, () => EVENT);
  const until = performance.now() + ms;
  let n = 0;
  const started = performance.now();
  while (performance.now() < until) {
    await db.query(`insert into bench_raw (payload) values ${values}`, params);
    n += 1000;
  }
  return n / ((performance.now() - started) / 1000);
}

async function setup(deps: Deps, hookUrl: string) {
  const user = await createUser(deps.db, {
    email: `bench-${crypto.randomUUID()}@example.com`,
    password: null,
    isAdmin: false,
  });
  const ctx: Ctx = { ...deps, principal: cliPrincipal(user), requestId: "bench", channel: "cli" };
  const ws = await createWorkspace(ctx, { name: "Bench", slug: null });
  const stream = await createResource(ctx, {
    workspaceId: ws.id,
    type: "stream",
    data: { name: "bench" },
  }) as {
    id: string;
    writeKey: string;
  };
  const dest = await createResource(ctx, {
    workspaceId: ws.id,
    type: "destination",
    data: { name: "hook", destinationType: "webhook", url: hookUrl },
  }) as { id: string };
  await createResource(ctx, {
    workspaceId: ws.id,
    type: "connection",
    data: { fromId: stream.id, toId: dest.id, type: "push" },
  });
  return stream.writeKey;
}

async function benchStore(name: string, db: Db, drop: () => Promise<void>, rawDb?: () => Db) {
  const config = loadConfig({
    LOG_LEVEL: "error",
    PIPELINE_WORKERS: "0",
    QUEUE_MAX_DEPTH: "1000000000",
    PIPELINE_BATCH_SIZE: "500",
    SLUICE_PEPPER: "bench-pepper-0123456789abcdef",
  });
  const deps = await openDeps(config, { db, log: createLogger({ level: "error" }) });
  let received = 0;
  const hook = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    await req.arrayBuffer();
    received++;
    return new Response("ok");
  });
  const server = await startServer(deps, { port: 0, hostname: "127.0.0.1" });
  const ms = SECONDS * 1000;
  try {
    const key = await setup(deps, `http://127.0.0.1:${hook.addr.port}/hook`);
    const headers = { "content-type": "application/json", authorization: `Basic ${btoa(`${key}:`)}` };
    if (db.driver === "postgres") await db.query("checkpoint");
    // The raw baselines get the 10-connection pool the targets above assume; the server keeps its own.
    const raw = rawDb ? rawDb() : db;
    const rs = await rawSingle(raw, ms);
    const rm = await rawMulti(raw, ms);
    await raw.exec("drop table bench_raw");
    if (raw !== db) await raw.close();
    if (db.driver === "postgres") await db.query("checkpoint");

    const single = await load({
      url: `${server.url}/api/s/s2s/track`,
      headers,
      template: EVENT,
      concurrency: 50,
      durationMs: ms,
      warmupMs: 1000,
    });
    const singleRate = single.ok / (single.elapsedMs / 1000);
    const batch = await load({
      url: `${server.url}/v1/batch`,
      headers,
      template: BATCH,
      concurrency: 8,
      durationMs: ms,
      warmupMs: 1000,
    });
    const batchRate = (batch.ok * 100) / (batch.elapsedMs / 1000);
    const half = await load({
      url: `${server.url}/api/s/s2s/track`,
      headers,
      template: EVENT,
      concurrency: 50,
      durationMs: ms,
      warmupMs: 1000,
      ratePerSec: Math.max(1, Math.floor(singleRate / 2)),
    });

    await db.query("delete from event_queue");
    const pipeline = new Pipeline(deps, { workers: 2, pollMs: 20 });
    await pipeline.start();
    const e2eEvents = Math.max(2000, Math.min(50_000, Math.round(batchRate * SECONDS / 4 / 100) * 100));
    received = 0;
    const t0 = performance.now();
    await load({
      url: `${server.url}/v1/batch`,
      headers,
      template: BATCH,
      concurrency: 4,
      durationMs: 600_000,
      maxRequests: e2eEvents / 100,
    });
    while (received < e2eEvents && performance.now() - t0 < 300_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const e2eRate = received / ((performance.now() - t0) / 1000);
    await pipeline.stop();

    const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(9);
    const ms2 = (x: number) => `${x.toFixed(1)} ms`;
    console.log(`\n== ${name} (${SECONDS} s per figure; load generator shares the cores) ==`);
    console.log(`raw single-row INSERT, 10 in flight     ${fmt(rs)} rows/s`);
    console.log(`raw 1000-row multi-row INSERT            ${fmt(rm)} rows/s`);
    console.log(
      `ingest single events, 50 connections     ${fmt(singleRate)} events/s  (${
        (singleRate / rs * 100).toFixed(0)
      }% of raw single; ` +
        `p50 ${ms2(pct(single.latenciesMs, 50))}, p99 ${ms2(pct(single.latenciesMs, 99))}; statuses ${
          JSON.stringify(single.statuses)
        })`,
    );
    console.log(
      `ingest batches of 100                    ${fmt(batchRate)} events/s  (${
        (batchRate / rm * 100).toFixed(0)
      }% of raw multi-row; ` +
        `statuses ${JSON.stringify(batch.statuses)})`,
    );
    console.log(
      `ingest at half peak (${Math.floor(singleRate / 2)}/s)            ${
        fmt(half.ok / (half.elapsedMs / 1000))
      } events/s  ` +
        `(p50 ${ms2(pct(half.latenciesMs, 50))}, p99 ${ms2(pct(half.latenciesMs, 99))})`,
    );
    console.log(
      `end to end, ingest -> webhook            ${
        fmt(e2eRate)
      } events/s  (${received} of ${e2eEvents} events)`,
    );
  } finally {
    await server.shutdown(); // closes the store
    await hook.shutdown();
    await drop();
  }
}

async function freshPostgres(): Promise<{ db: Db; raw: () => Db; drop: () => Promise<void> }> {
  const name = `sluice_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return {
    db: openPostgres(u.toString()),
    raw: () => openPostgres(u.toString(), { max: 10, statementMax: 10 }),
    async drop() {
      const a = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

if (import.meta.main) {
  const pg = await freshPostgres();
  await benchStore("PostgreSQL", pg.db, pg.drop, pg.raw);
  if (Deno.env.get("BENCH_PGLITE") !== "0") {
    await benchStore("PGlite (embedded)", await openPglite(), () => Promise.resolve());
  }
  Deno.exit(0); // postgres.js sockets of the admin connections may linger
}
