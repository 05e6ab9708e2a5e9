/**
 * `deno task bench mapping [events]`: the warehouse core's per-event CPU cost with the database taken
 * out: mapping alone (the generic layout + flattening, then the mappers compiled per event shape), then
 * `Warehouse.write()`. Each client (PostgreSQL, MySQL, ClickHouse) is the real one, with its schema
 * calls answered from memory and its statements swallowed (ClickHouse's body read to the end), so what
 * is measured is mapping, type inference, schema checks, encoding and building the insert payload
 * (statement text and parameters, or the JSONEachRow body), plus the statuses of `Warehouse.write()`.
 * Figures: events/s and µs an event of process CPU time (steadier than wall time on a shared machine),
 * best of 5 batches of 10,000. Figures only; no timed assertions (STYLE.md).
 */
import { clickhouseClient } from "../src/destinations/clickhouse/client.ts";
import { parseClickhouseCredentials } from "../src/destinations/clickhouse/credentials.ts";
import type { WarehouseClient } from "../src/destinations/warehouse/client.ts";
import {
  parseMysqlCredentials,
  parsePostgresCredentials,
  parseWarehouseOptions,
} from "../src/destinations/warehouse/credentials.ts";
import { mapEvent } from "../src/destinations/warehouse/layout.ts";
import { EventMapper } from "../src/destinations/warehouse/shapes.ts";
import { mysqlClient } from "../src/destinations/warehouse/mysql_client.ts";
import { pgClient } from "../src/destinations/warehouse/pg_client.ts";
import type { ExistingType } from "../src/destinations/warehouse/types.ts";
import { Warehouse } from "../src/destinations/warehouse/warehouse.ts";
import { cpuMs, makeEvents } from "./_warehouse_events.ts";

/** The client with its schema in memory and every statement answered at once with no rows. */
function inMemory(client: WarehouseClient): WarehouseClient {
  const tables = new Map<string, Map<string, ExistingType>>();
  const noop = { query: () => Promise.resolve([]) };
  return Object.assign(Object.create(null), client, {
    query: noop.query,
    loadColumns: (t: string) => Promise.resolve(tables.has(t) ? new Map(tables.get(t)) : null),
    createTable(t: string, cols: [string, ExistingType][]) {
      tables.set(t, new Map(cols));
      return Promise.resolve();
    },
    addColumn(t: string, c: string, type: ExistingType) {
      tables.get(t)!.set(c, type);
      return Promise.resolve();
    },
    widenColumn(t: string, c: string, type: ExistingType) {
      tables.get(t)!.set(c, type);
      return Promise.resolve();
    },
    transaction: <T>(fn: (tx: typeof noop) => Promise<T>) => fn(noop),
  });
}

/**
 * A ClickHouse HTTP stand-in for the client: version, database list, and inserts read to the end
 * (a streamed body is encoded as it is read) and dropped.
 */
const fakeClickhouse: typeof fetch = async (_input, init) => {
  const body = typeof init?.body === "string" && init.body.length < 200 ? init.body : "";
  if (body.startsWith("SELECT version()")) return new Response("18.16.1\n");
  if (body.startsWith("SELECT name FROM system.databases")) return new Response('{"name":"bench"}\n');
  if (init?.body instanceof ReadableStream) await new Response(init.body).arrayBuffer();
  return new Response("");
};

async function measure(
  label: string,
  n: number,
  once: (events: Record<string, unknown>[], round: number) => Promise<void> | void,
): Promise<void> {
  let best = Infinity;
  await once(makeEvents(1000, "warm"), -1); // tables created, code warmed outside the timing
  for (let r = 0; r < 5; r++) {
    const events = makeEvents(n, `r${r}`);
    const before = cpuMs();
    await once(events, r);
    best = Math.min(best, cpuMs() - before);
  }
  const us = (best * 1000) / n;
  console.log(
    `${label.padEnd(34)} ${us.toFixed(2).padStart(7)} µs/event  ${
      Math.round(n / (best / 1000)).toString().padStart(8)
    } events/s`,
  );
}

/** Runs the benchmark and prints one line per step and client. */
export async function run(args: string[] = []): Promise<void> {
  const n = Number(args[0] ?? 10000);
  console.log(`mapping bench: ${n} events a batch, segment-single-table, dedup on, CPU time, best of 5`);
  await measure("mapEvent (layout + flatten)", n, (events) => {
    for (const e of events) mapEvent(e, "segment-single-table", 63);
  });
  const mapper = new EventMapper("segment-single-table", 63);
  await measure("EventMapper.map (compiled per shape)", n, (events) => {
    for (const e of events) mapper.map(e);
  });
  const pg = pgClient(parsePostgresCredentials({ host: "127.0.0.1", database: "bench", sslMode: "disable" }));
  const my = await mysqlClient(
    parseMysqlCredentials({ host: "127.0.0.1", database: "bench", parameters: { tls: "false" } }),
  );
  const ch = await clickhouseClient(
    parseClickhouseCredentials({ protocol: "http", hosts: ["127.0.0.1:8123"], database: "bench" }),
    { allowPrivateNetwork: true, fetch: fakeClickhouse },
  );
  try {
    for (const [name, client] of [["postgres", pg], ["mysql", my], ["clickhouse", ch]] as const) {
      const wh = new Warehouse(inMemory(client), parseWarehouseOptions({ mode: "batch", batchSize: n }));
      await measure(`${name} write() without the database`, n, async (events) => {
        const out = await wh.write(events, "batch");
        if (!out.committed) throw new Error(out.error);
      });
    }
  } finally {
    await pg.close();
    await my.close();
  }
}

export default run;

if (import.meta.main) await run(Deno.args);
