/**
 * `deno task bench warehouse` (or `deno run -A bench/warehouse.ts [events]`): rows/s into PostgreSQL and
 * MariaDB through the warehouse core in batch and stream mode, next to the raw multi-row INSERT rate of
 * the same client library in the same run (same rows, pre-encoded, one transaction, no upsert).
 * Target: batch mode at least 50% of raw. Figures only; no timed assertions (STYLE.md).
 * Uses throwaway schemas/databases: WAREHOUSE_PG_HOST / WAREHOUSE_MYSQL_HOST (default 127.0.0.1).
 * Then ClickHouse (vs a raw INSERT ... FORMAT JSONEachRow) and S3 (a 10,000-event file vs a raw PUT of
 * the same bytes): bench/_clickhouse_s3.ts.
 */
import { benchClickhouse, benchS3 } from "./_clickhouse_s3.ts";
import { mapEvent } from "../src/destinations/warehouse/layout.ts";
import { cpuMs, makeEvents } from "./_warehouse_events.ts";
import {
  parseMysqlCredentials,
  parsePostgresCredentials,
  parseWarehouseOptions,
} from "../src/destinations/warehouse/credentials.ts";
import { openWarehouseClient } from "../src/destinations/warehouse/test_connection.ts";
import type { WarehouseClient } from "../src/destinations/warehouse/client.ts";
import { Warehouse } from "../src/destinations/warehouse/warehouse.ts";
import type { WarehouseKind } from "../src/destinations/warehouse/connect_errors.ts";

async function target(kind: WarehouseKind): Promise<{ client: WarehouseClient; drop(): Promise<void> }> {
  const name = `sluice_wh_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
  if (kind === "postgres") {
    const host = Deno.env.get("WAREHOUSE_PG_HOST") ?? "127.0.0.1";
    const creds = parsePostgresCredentials({
      host,
      database: "test",
      username: "postgres",
      sslMode: "disable",
      defaultSchema: name,
    });
    const client = await openWarehouseClient("postgres", creds);
    await client.query(`create schema ${client.quote(name)}`);
    return {
      client,
      drop: async () => {
        await client.query(`drop schema ${client.quote(name)} cascade`);
        await client.close();
      },
    };
  }
  const host = Deno.env.get("WAREHOUSE_MYSQL_HOST") ?? "127.0.0.1";
  const admin = await openWarehouseClient(
    "mysql",
    parseMysqlCredentials({ host, database: "test", parameters: { tls: "false" } }),
  );
  await admin.query(`create database ${admin.quote(name)}`);
  await admin.close();
  const client = await openWarehouseClient(
    "mysql",
    parseMysqlCredentials({ host, database: name, parameters: { tls: "false" } }),
  );
  return {
    client,
    drop: async () => {
      await client.query(`drop database ${client.quote(name)}`);
      await client.close();
    },
  };
}

/**
 * Raw: the client library's own multi-row INSERT of the already flattened rows, 1000 per statement,
 * into a table of the same shape (same primary key), without upsert, mapping or statuses.
 */
async function raw(
  client: WarehouseClient,
  events: Record<string, unknown>[],
  table: string,
): Promise<number> {
  const rows = events.map((e) => mapEvent(e, "segment-single-table", client.maxNameLength)[0].row);
  // Create the table with the right types first (outside the timing), through the core once.
  const setup = new Warehouse(client, parseWarehouseOptions({}));
  await setup.write([{ ...events[0], $table: table, messageId: "setup" }]);
  const cols = await client.loadColumns(table);
  const columns = Object.keys(rows[0]).filter((c) => cols?.has(c));
  const cells = rows.map((r) => columns.map((c) => client.encode(r[c], cols!.get(c)!)));
  const mark = client.kind === "postgres" ? (i: number) => `$${i}` : () => "?";
  const started = performance.now();
  const cpu = cpuMs();
  await client.transaction(async (tx) => {
    for (let i = 0; i < cells.length; i += 1000) {
      const chunk = cells.slice(i, i + 1000);
      let n = 0;
      const tuples = chunk.map((r) => `(${r.map(() => mark(++n)).join(",")})`).join(",");
      await tx.query(
        `insert into ${client.table(table)} (${columns.map(client.quote).join(",")}) values ${tuples}`,
        chunk.flat(),
      );
    }
  });
  lastCpu = cpuMs() - cpu;
  return (performance.now() - started) / 1000;
}

async function batchMode(
  client: WarehouseClient,
  events: Record<string, unknown>[],
  batchSize: number,
): Promise<number> {
  const wh = new Warehouse(client, parseWarehouseOptions({ mode: "batch", batchSize }));
  await wh.write([{ ...events[0], messageId: "setup" }]); // the table is created outside the timing, as for raw
  const started = performance.now();
  const cpu = cpuMs();
  for (let i = 0; i < events.length; i += batchSize) {
    const out = await wh.write(events.slice(i, i + batchSize), "batch");
    if (!out.committed) throw new Error(out.error);
  }
  lastCpu = cpuMs() - cpu;
  return (performance.now() - started) / 1000;
}

function perEvent(ms: number, n: number): string {
  return ((ms * 1000) / n).toFixed(1);
}

async function streamMode(client: WarehouseClient, events: Record<string, unknown>[]): Promise<number> {
  const wh = new Warehouse(client, parseWarehouseOptions({ mode: "stream" }));
  await wh.write([{ ...events[0], $table: "stream_events" }], "stream"); // table created outside the timing
  const started = performance.now();
  for (const e of events) {
    const out = await wh.write([{ ...e, $table: "stream_events" }], "stream");
    if (!out.committed) throw new Error(out.error);
  }
  return (performance.now() - started) / 1000;
}

const ROUNDS = 3;
/** This process's CPU time (ms) in the last raw() or batchMode() run. */
let lastCpu = 0;

/** Runs the benchmark and prints one line per warehouse and mode. */
export async function run(args: string[] = []): Promise<void> {
  const n = Number(args[0] ?? 20000);
  const streamN = Math.min(n, 2000);
  const batchSize = 10000;
  console.log(
    `warehouse bench: ${n} events (stream: ${streamN}), batch size ${batchSize}, segment-single-table, dedup on`,
  );
  console.log("warehouse  mode    rows     seconds   rows/s    vs raw");
  for (const kind of ["postgres", "mysql"] as const) {
    const t = await target(kind);
    try {
      // Best of ROUNDS, raw and batch interleaved: the machine is shared, and the best run is the one
      // least disturbed by others (GOTCHAS: compare only ratios measured in the same run).
      let rawSec = Infinity;
      let batchSec = Infinity;
      let rawCpu = Infinity;
      let batchCpu = Infinity;
      for (let r = 0; r < ROUNDS; r++) {
        // Each round into fresh tables of the same shape, after a checkpoint (GOTCHAS), for both sides.
        if (kind === "postgres") await t.client.query("checkpoint").catch(() => {});
        rawSec = Math.min(rawSec, await raw(t.client, makeEvents(n, `raw${r}`), `raw_events_${r}`));
        rawCpu = Math.min(rawCpu, lastCpu);
        if (kind === "postgres") await t.client.query("checkpoint").catch(() => {});
        const events = makeEvents(n, `batch${r}`, `batch_events_${r}`);
        batchSec = Math.min(batchSec, await batchMode(t.client, events, batchSize));
        batchCpu = Math.min(batchCpu, lastCpu);
      }
      const streamSec = await streamMode(t.client, makeEvents(streamN, "stream"));
      const rawRate = n / rawSec;
      const line = (mode: string, rows: number, sec: number) => {
        const rate = rows / sec;
        console.log(
          `${kind.padEnd(10)} ${mode.padEnd(7)} ${String(rows).padEnd(8)} ${sec.toFixed(2).padStart(7)}  ${
            Math.round(rate).toString().padStart(8)
          }  ${mode === "raw" ? "" : `${Math.round((rate / rawRate) * 100)}%`}`,
        );
      };
      line("raw", n, rawSec);
      line("batch", n, batchSec);
      line("stream", streamN, streamSec);
      console.log(
        `${kind.padEnd(10)} client CPU µs/event: raw ${perEvent(rawCpu, n)}, batch ${perEvent(batchCpu, n)}`,
      );
    } finally {
      await t.drop();
    }
  }
  await benchClickhouse(n, makeEvents);
  await benchS3(makeEvents);
}

export default run;

if (import.meta.main) await run(Deno.args);
