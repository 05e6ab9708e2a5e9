/**
 * What bench/pipeline.ts builds its runs from: a fresh Sluice database, an app with the pipeline, a
 * receiver for webhooks that counts per path (and can answer late), workspaces with streams, destinations,
 * functions and connections, a PostgreSQL warehouse schema, and the raw multi-row INSERT baseline.
 */
import postgres from "postgres";
import { cliPrincipal } from "../src/auth/principal.ts";
import { mapEvent } from "../src/destinations/warehouse/layout.ts";
import {
  parsePostgresCredentials,
  parseWarehouseOptions,
} from "../src/destinations/warehouse/credentials.ts";
import { openWarehouseClient } from "../src/destinations/warehouse/test_connection.ts";
import { Warehouse } from "../src/destinations/warehouse/warehouse.ts";
import type { Ctx, Deps } from "../src/deps.ts";
import { createResource } from "../src/services/resources.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import type { Db } from "../src/store/db.ts";
import { openPostgres } from "../src/store/postgres.ts";
import type { LoadRequest, LoadResult } from "./_ingest_load.ts";

export const PG_ADMIN = Deno.env.get("PGTEST_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
const WH_HOST = Deno.env.get("WAREHOUSE_PG_HOST") ?? "127.0.0.1";

/** The event every run sends (ingest's bench event); `#N#` is the request number. */
export const EVENT = JSON.stringify({
  type: "track",
  event: "Order Completed",
  messageId: "bench-#N#",
  userId: "user-#N#",
  anonymousId: "anon-1234567890",
  properties: { orderId: "o-#N#", total: 129.99, currency: "EUR", products: [{ sku: "sku-1", qty: 2 }] },
  context: {
    library: { name: "@jitsu/js", version: "1.9.0" },
    page: { url: "https://shop.example.com/checkout/complete", title: "Thank you" },
    userAgent:
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36",
    locale: "en-US",
  },
});
export const BATCH = `{"batch":[${
  Array.from({ length: 100 }, (_, k) => EVENT.replaceAll("#N#", `#N#-${k}`)).join(",")
}]}`;

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Runs the load generator (bench/_ingest_load.ts) in a Worker. */
export function load(req: LoadRequest): Promise<LoadResult> {
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

/** A fresh Sluice database (dropped after). */
export async function freshPostgres(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const name = `sluice_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
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

/**
 * Webhook receiver: counts bodies per path and remembers each event's ingest-to-delivery latency. It runs
 * in a Worker (bench/_receiver_worker.ts), so its work does not share the server's event loop.
 */
export class Receiver {
  readonly counts = new Map<string, number>();
  readonly latencies = new Map<string, number[]>();
  /** Paths whose requests are answered only after this many ms (call `sync()` after a change). */
  readonly slow = new Map<string, number>();
  /** The receiver thread's CPU time, µs, as it last reported it (at most 100 ms old). */
  cpuUs = 0;
  readonly #worker: Worker;
  #port = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(): Promise<Receiver> {
    const w = new Worker(new URL("./_receiver_worker.ts", import.meta.url), { type: "module" });
    const rx = new Receiver(w);
    return new Promise((resolve, reject) => {
      w.onerror = (e) => reject(e);
      w.onmessage = (e) => {
        if (e.data.port) {
          rx.#port = e.data.port;
          resolve(rx);
          return;
        }
        rx.cpuUs = e.data.cpuUs ?? rx.cpuUs;
        for (const [p, n] of e.data.counts as [string, number][]) rx.counts.set(p, n);
        for (const [p, l] of e.data.latencies as [string, number[]][]) {
          const all = rx.latencies.get(p);
          if (all) all.push(...l);
        }
      };
    });
  }

  /** Sends the `slow` settings to the worker. */
  sync(): void {
    this.#worker.postMessage({ slow: [...this.slow] });
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  count(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  close(): Promise<void> {
    this.#worker.terminate();
    return Promise.resolve();
  }
}

/** A workspace of its own, with a way to add resources to it. */
export async function workspace(deps: Deps, name: string) {
  const user = await createUser(deps.db, {
    email: `bench-${crypto.randomUUID()}@example.com`,
    password: null,
    isAdmin: false,
  });
  const ctx: Ctx = { ...deps, principal: cliPrincipal(user), requestId: "bench", channel: "cli" };
  const ws = await createWorkspace(ctx, { name, slug: null });
  async function add(
    type: string,
    data: Record<string, unknown>,
  ): Promise<{ id: string; writeKey?: string }> {
    return await createResource(ctx, { workspaceId: ws.id, type, data }) as { id: string; writeKey?: string };
  }
  return {
    id: ws.id,
    add,
    async connect(streamId: string, destId: string, options: Record<string, unknown> = {}, fnCode?: string) {
      let functions: { functionId: string }[] = [];
      if (fnCode) {
        const f = await add("function", { name: "fn", code: fnCode });
        functions = [{ functionId: `udf.${f.id}` }];
      }
      return await add("connection", {
        fromId: streamId,
        toId: destId,
        type: "push",
        data: { ...options, functions },
      });
    },
  };
}

/** A fresh schema in PostgreSQL's `test` database as a warehouse destination. */
export async function warehouseSchema() {
  const name = `sluice_pb_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const credentials = {
    host: WH_HOST,
    port: 5432,
    database: "test",
    username: "postgres",
    sslMode: "disable",
    defaultSchema: name,
  };
  const client = await openWarehouseClient("postgres", parsePostgresCredentials(credentials));
  await client.query(`create schema ${client.quote(name)}`);
  // Counting has a connection of its own, under another application name than the warehouse's, so the CPU
  // split (bench/_cpu_split.ts) leaves the polls out of the warehouse's PostgreSQL CPU.
  const counter = postgres({
    host: WH_HOST,
    port: 5432,
    database: "test",
    username: "postgres",
    max: 1,
    onnotice: () => {},
    connection: { application_name: "sluice-bench-count" },
  });
  return {
    credentials,
    client,
    /** Rows in every table of the schema. */
    async rows(): Promise<number> {
      const tables = await counter.unsafe(
        "select table_name as t from information_schema.tables where table_schema = $1",
        [name],
      );
      let n = 0;
      for (const { t } of tables) {
        const r = await counter.unsafe(`select count(*)::int as n from ${client.table(String(t))}`);
        n += Number(r[0].n);
      }
      return n;
    },
    async drop() {
      await counter.end();
      await client.query(`drop schema if exists ${client.quote(name)} cascade`);
      await client.close();
    },
  };
}

/**
 * Raw baseline: the same `n` events, flattened as the warehouse core flattens them, inserted with
 * multi-row INSERTs of 1000 rows over 4 connections, into a table of the same shape; rows/s. `timed` is
 * called around the timed part (the INSERTs only: building and encoding the rows comes before).
 */
export async function rawMultiRow(
  n: number,
  timed?: { start(): void | Promise<void>; end(): void | Promise<void> },
): Promise<number> {
  const wh = await warehouseSchema();
  const conns = await Promise.all(
    Array.from(
      { length: 4 },
      () => openWarehouseClient("postgres", parsePostgresCredentials(wh.credentials)),
    ),
  );
  try {
    const events = Array.from({ length: n }, (_, i) => ({
      ...JSON.parse(EVENT.replaceAll("#N#", `raw-${i}`)),
      receivedAt: new Date().toISOString(),
    }));
    const client = wh.client;
    await new Warehouse(client, parseWarehouseOptions({})).write([
      { ...events[0], $table: "raw_events", messageId: "setup" },
    ]);
    const cols = (await client.loadColumns("raw_events"))!;
    const rows = events.map((e) => mapEvent(e, "segment-single-table", client.maxNameLength)[0].row);
    const columns = Object.keys(rows[0]).filter((c) => cols.has(c));
    const cells = rows.map((r) => columns.map((c) => client.encode(r[c], cols.get(c)!)));
    const chunks: (typeof cells)[] = [];
    for (let i = 0; i < cells.length; i += 1000) chunks.push(cells.slice(i, i + 1000));
    await timed?.start();
    const started = performance.now();
    let next = 0;
    await Promise.all(conns.map(async (c) => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        let k = 0;
        const tuples = chunk.map((r) => `(${r.map(() => `$${++k}`).join(",")})`).join(",");
        await c.query(
          `insert into ${client.table("raw_events")} (${
            columns.map(client.quote).join(",")
          }) values ${tuples}`,
          chunk.flat(),
        );
      }
    }));
    const rate = n / ((performance.now() - started) / 1000);
    await timed?.end();
    return rate;
  } finally {
    for (const c of conns) await c.close();
    await wh.drop();
  }
}
