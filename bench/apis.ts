/**
 * `deno task bench apis [events]`: events/s per connection to the product APIs, against a local stand-in
 * that answers at once (so the figure is Sluice's cost: mapping, batching, HTTP, bookkeeping).
 * 1. Driver: `write()` calls of 500 events (PIPELINE_BATCH_SIZE) as the pipeline makes them.
 * 2. Pipeline: events queued through ingest, then the pipeline started as a server runs it (two claim
 *    loops) until every event is committed: queue -> driver -> stand-in -> commit (Live Events
 *    `bulker_stream` entries, queue rows deleted), one connection per API, on a throwaway PostgreSQL
 *    database (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) and on PGlite; devnull
 *    in the same run is the pipeline's own ceiling (no HTTP at all).
 * Next to each rate, the CPU time of this process (driver, pipeline, stand-in) per event: steadier than the
 * rate on a shared machine. The stand-in runs in this process, so its CPU is in the figure.
 * Target: at least 2,000 events/s per connection where the API batches. Figures only, never asserted.
 */
import { cpuUsage } from "node:process";
import { cliPrincipal } from "../src/auth/principal.ts";
import { closeDeps, openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import type { Ctx, Deps } from "../src/deps.ts";
import { apiDriverOf } from "../src/destinations/apis/api_drivers.ts";
import { createApp } from "../src/app.ts";
import { createLogger } from "../src/log.ts";
import { defaultDrivers } from "../src/pipeline/drivers.ts";
import { Pipeline } from "../src/pipeline/pipeline.ts";
import { createResource } from "../src/services/resources.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import postgres from "postgres";
import type { Db } from "../src/store/db.ts";
import { openPglite } from "../src/store/pglite.ts";
import { openPostgres } from "../src/store/postgres.ts";

const PG_ADMIN = Deno.env.get("BENCH_PG_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function freshPostgres(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const name = `sluice_bench_apis_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return {
    db: openPostgres(u.toString()),
    async drop() {
      const a = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

const N = Number(Deno.args[0] ?? 20_000);
const BATCH = 500;

/** Answers every API path with its success shape at once; counts records. */
function instantStandIn() {
  const counts = { requests: 0, records: 0 };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const text = await req.text();
    counts.requests++;
    const path = new URL(req.url).pathname;
    const json = (o: unknown) =>
      new Response(JSON.stringify(o), { headers: { "content-type": "application/json" } });
    if (path === "/mp/collect") {
      counts.records++;
      return new Response(null, { status: 204 });
    }
    const body = JSON.parse(text);
    const n = Array.isArray(body)
      ? body.length
      : (body.events ?? body.batch ?? body.attributes ?? body.data ?? [1]).length;
    counts.records += n;
    if (path === "/import") return json({ code: 200, num_records_imported: n, status: "OK" });
    if (path === "/engage" || path === "/groups") return json({ status: 1, error: null });
    if (path === "/2/httpapi") return json({ code: 200, events_ingested: n });
    if (path === "/batch/") return json({ status: 1 });
    if (path === "/users/track") return json({ message: "success" });
    if (path === "/v1/log_event") return json({ success: true });
    if (path.endsWith("/events")) return json({ events_received: n, messages: [] });
    return json({ success: true });
  });
  return { counts, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function events(n: number, tag: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    type: "track",
    event: "Product Viewed",
    messageId: `${tag}-${i}`,
    userId: `user-${i % 1000}`,
    anonymousId: `anon-${i % 5000}`,
    timestamp: "2026-01-01T00:00:00.000Z",
    context: {
      ip: "203.0.113.7",
      userAgent:
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36",
      page: {
        url: `https://shop.example.com/p/${i % 100}`,
        title: "Product",
        referrer: "https://google.com/",
      },
      traits: { email: `u${i % 1000}@example.com` },
    },
    properties: { total: (i % 500) + 0.5, currency: "EUR", coupon: "NONE" },
  }));
}

const DESTS = (url: string): Record<string, Record<string, unknown>> => ({
  mixpanel: {
    projectId: "1",
    projectToken: "t",
    serviceAccountUserName: "u",
    serviceAccountPassword: "p",
  },
  amplitude: { key: "k" },
  posthog: { key: "phc", host: url },
  "segment-proxy": { writeKey: "w", apiBase: `${url}/v1` },
  braze: { apiKey: "b", endpoint: url },
  statsig: { apiKey: "s" },
  "facebook-conversions": { pixelId: "1", accessToken: "a" },
  ga4: { measurementId: "G-1", apiSecret: "s", events: "*" },
  june: { apiKey: "j" },
});

async function driverFigure(type: string, url: string, creds: Record<string, unknown>, n: number) {
  const driver = apiDriverOf(type, { baseUrl: url, allowPrivateNetwork: true, concurrency: 8 });
  const all = events(n, type);
  const c0 = cpuUsage();
  const t0 = performance.now();
  let failed = 0;
  let skipped = 0;
  for (let i = 0; i < all.length; i += BATCH) {
    const results = await driver.write({
      events: all.slice(i, i + BATCH),
      destination: { id: "d", type, workspaceId: "w", credentials: creds },
      connection: { id: "c", streamId: "s", mode: "stream", options: {} },
      log: createLogger({ level: "error" }),
      signal: new AbortController().signal,
    });
    const f = results.filter((r) => r.status === "FAILED").length;
    const k = results.filter((r) => r.status === "SKIPPED").length;
    failed += f;
    skipped += k;
  }
  const c = cpuUsage(c0);
  return { rate: n / ((performance.now() - t0) / 1000), failed, skipped, cpu: (c.user + c.system) / n };
}

async function pipelineFigure(
  deps: Deps,
  type: string,
  url: string,
  creds: Record<string, unknown>,
  n: number,
  counts: { records: number },
) {
  const user = await createUser(deps.db, {
    email: `b-${crypto.randomUUID()}@example.com`,
    password: null,
    isAdmin: false,
  });
  const ctx: Ctx = { ...deps, principal: cliPrincipal(user), requestId: "bench", channel: "cli" };
  const ws = await createWorkspace(ctx, { name: `Bench ${type}`, slug: null });
  const stream = await createResource(ctx, { workspaceId: ws.id, type: "stream", data: { name: "s" } }) as {
    id: string;
    writeKey: string;
  };
  const dest = await createResource(ctx, {
    workspaceId: ws.id,
    type: "destination",
    data: { name: type, destinationType: type, ...creds },
  }) as { id: string };
  await createResource(ctx, {
    workspaceId: ws.id,
    type: "connection",
    data: { fromId: stream.id, toId: dest.id, type: "push" },
  });
  const app = createApp(deps);
  const all = events(n, `p-${type}`);
  for (let i = 0; i < all.length; i += 100) {
    const res = await app.request("/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${stream.writeKey}:`)}` },
      body: JSON.stringify({ batch: all.slice(i, i + 100) }),
    });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
  const drivers = defaultDrivers(deps);
  if (type !== "devnull") {
    drivers.set(type, apiDriverOf(type, { baseUrl: url, allowPrivateNetwork: true, concurrency: 8 }));
  }
  // Two claim loops, as a server runs them (PIPELINE_WORKERS' default).
  const pipeline = new Pipeline(deps, { workers: 2, pollMs: 20, drivers });
  const before = counts.records;
  const c0 = cpuUsage();
  const t0 = performance.now();
  await pipeline.start();
  const t = pipeline.totals;
  while (t.delivered + t.deadLettered + t.dropped + t.retried < n && performance.now() - t0 < 300_000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const secs = (performance.now() - t0) / 1000;
  const c = cpuUsage(c0);
  await pipeline.stop();
  return {
    rate: pipeline.totals.delivered / secs,
    delivered: pipeline.totals.delivered,
    received: counts.records - before,
    cpu: (c.user + c.system) / n,
  };
}

if (import.meta.main) {
  const s = instantStandIn();
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(9);
  console.log(`== product API drivers, ${N} events, stand-in answering at once (load shares the cores) ==`);
  for (const [type, creds] of Object.entries(DESTS(s.url))) {
    const n = type === "ga4" || type === "june" ? Math.min(N, 5000) : N;
    const r = await driverFigure(type, s.url, creds, n);
    console.log(
      `driver   ${type.padEnd(20)} ${fmt(r.rate)} events/s ${
        r.cpu.toFixed(0).padStart(5)
      } µs CPU/event  (${n} events, ${r.failed} failed, ${r.skipped} skipped)`,
    );
  }
  const config = loadConfig({
    LOG_LEVEL: "error",
    PIPELINE_WORKERS: "0",
    PIPELINE_BATCH_SIZE: String(BATCH),
    QUEUE_MAX_DEPTH: "1000000000",
    SLUICE_PEPPER: "bench-pepper-0123456789abcdef",
  });
  const pn = Math.min(N, 10_000);
  const pg = await freshPostgres();
  try {
    for (const [store, db] of [["PostgreSQL", pg.db], ["PGlite", await openPglite()]] as const) {
      const deps = await openDeps(config, { db, log: createLogger({ level: "error" }) });
      try {
        const targets = { devnull: {}, ...DESTS(s.url) } as Record<string, Record<string, unknown>>;
        for (const [type, creds] of Object.entries(targets)) {
          if (type === "ga4" || type === "june") continue;
          const r = await pipelineFigure(deps, type, s.url, creds, pn, s.counts);
          console.log(
            `pipeline ${store.padEnd(10)} ${type.padEnd(20)} ${fmt(r.rate)} events/s ${
              r.cpu.toFixed(0).padStart(5)
            } µs CPU/event  (queue -> driver -> ` +
              `stand-in -> commit, ${r.delivered} of ${pn} delivered, ${r.received} records received)`,
          );
        }
      } finally {
        await closeDeps(deps);
      }
    }
  } finally {
    await pg.drop();
    await s.close();
  }
}
