/**
 * The ClickHouse and S3 parts of `deno task bench warehouse`.
 * - ClickHouse: batch mode through the warehouse core vs a raw `INSERT ... FORMAT JSONEachRow` of the
 *   same rows (flattened and encoded before the clock starts), same server, same run, raw and batch
 *   alternating for 5 rounds: the best of each, and the median of the rounds' own batch/raw ratios.
 *   The server is a throwaway clickhouse-server (tests/_helpers/clickhouse.ts) unless
 *   BENCH_CLICKHOUSE_HOST (`host:port`, user default, no password, plain http) names one.
 * - S3: one 10,000-event batch file through the driver vs a raw PUT of the same bytes, with each step
 *   of the driver's work printed (bench/_s3.ts).
 */
import { clickhouseClient } from "../src/destinations/clickhouse/client.ts";
import { parseClickhouseCredentials } from "../src/destinations/clickhouse/credentials.ts";
import { parseWarehouseOptions } from "../src/destinations/warehouse/credentials.ts";
import { mapEvent } from "../src/destinations/warehouse/layout.ts";
import { Warehouse } from "../src/destinations/warehouse/warehouse.ts";
import { clickhouseServer } from "../tests/_helpers/clickhouse.ts";
import { cpuMs } from "./_warehouse_events.ts";

type Events = (n: number, tag: string, table?: string) => Record<string, unknown>[];

function line(what: string, mode: string, rows: number, sec: number, vs: string) {
  console.log(
    `${what.padEnd(10)} ${mode.padEnd(7)} ${String(rows).padEnd(8)} ${sec.toFixed(3).padStart(7)}  ${
      Math.round(rows / sec).toString().padStart(8)
    }  ${vs}`,
  );
}

async function chHost(): Promise<{ host: string; query(sql: string): Promise<unknown> }> {
  const given = Deno.env.get("BENCH_CLICKHOUSE_HOST");
  if (!given) return await clickhouseServer();
  return {
    host: given,
    query: (sql: string) => fetch(`http://${given}/`, { method: "POST", body: sql }).then((r) => r.text()),
  };
}

/** ClickHouse: raw JSONEachRow vs batch mode vs stream mode. */
export async function benchClickhouse(n: number, makeEvents: Events): Promise<void> {
  const server = await chHost();
  const db = `sluice_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
  await server.query(`CREATE DATABASE ${db}`);
  const creds = parseClickhouseCredentials({ protocol: "http", hosts: [server.host], database: db });
  const client = await clickhouseClient(creds, { allowPrivateNetwork: true });
  const batchSize = 10000;
  try {
    let rawSec = Infinity;
    let batchSec = Infinity;
    let rawCpu = Infinity;
    let batchCpu = Infinity;
    const ratios: number[] = [];
    for (let r = 0; r < 5; r++) {
      // Raw: the same rows the core would write, as JSON lines, built before the clock starts.
      const rawTable = `raw_events_${r}`;
      const setup = new Warehouse(client, parseWarehouseOptions({}));
      await setup.write([{ ...makeEvents(1, "setup")[0], $table: rawTable }]);
      const cols = (await client.loadColumns(rawTable))!;
      const rows = makeEvents(n, `raw${r}`).map((e) => mapEvent(e, "segment-single-table", 63)[0].row);
      const columns = Object.keys(rows[0]).filter((c) => cols.has(c));
      const body = rows.map((row) =>
        JSON.stringify(Object.fromEntries(columns.map((c) => [c, client.encode(row[c], cols.get(c)!)])))
      ).join("\n");
      const settings = client.features.dateTime64 ? " SETTINGS date_time_input_format = 'best_effort'" : "";
      let started = performance.now();
      let cpu = cpuMs();
      await client.http.query(
        `INSERT INTO ${client.table(rawTable)} (${
          columns.map(client.quote).join(", ")
        })${settings} FORMAT JSONEachRow`,
        { data: body },
      );
      const rawRound = (performance.now() - started) / 1000;
      rawSec = Math.min(rawSec, rawRound);
      rawCpu = Math.min(rawCpu, cpuMs() - cpu);

      const events = makeEvents(n, `batch${r}`, `batch_events_${r}`);
      const wh = new Warehouse(client, parseWarehouseOptions({ mode: "batch", batchSize }));
      await wh.write([{ ...events[0], messageId: "setup" }]);
      started = performance.now();
      cpu = cpuMs();
      for (let i = 0; i < events.length; i += batchSize) {
        const out = await wh.write(events.slice(i, i + batchSize), "batch");
        if (!out.committed) throw new Error(out.error);
      }
      const batchRound = (performance.now() - started) / 1000;
      batchSec = Math.min(batchSec, batchRound);
      batchCpu = Math.min(batchCpu, cpuMs() - cpu);
      ratios.push(rawRound / batchRound);
    }
    const streamN = Math.min(n, 500);
    const wh = new Warehouse(client, parseWarehouseOptions({ mode: "stream" }));
    const stream = makeEvents(streamN, "stream", "stream_events");
    await wh.write([{ ...stream[0], messageId: "setup" }], "stream");
    const started = performance.now();
    for (const e of stream) {
      const out = await wh.write([e], "stream");
      if (!out.committed) throw new Error(out.error);
    }
    const streamSec = (performance.now() - started) / 1000;
    const pct = (sec: number, rows: number) => `${Math.round(((rows / sec) / (n / rawSec)) * 100)}%`;
    line("clickhouse", "raw", n, rawSec, "");
    line("clickhouse", "batch", n, batchSec, pct(batchSec, n));
    line("clickhouse", "stream", streamN, streamSec, pct(streamSec, streamN));
    const us = (ms: number) => ((ms * 1000) / n).toFixed(1);
    ratios.sort((a, b) => a - b);
    console.log(
      `clickhouse batch/raw per round: median ${Math.round(ratios[2] * 100)}% (${
        ratios.map((x) => `${Math.round(x * 100)}%`).join(", ")
      }); load average ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}`,
    );
    console.log(`clickhouse client CPU µs/event (best): raw ${us(rawCpu)}, batch ${us(batchCpu)}`);
  } finally {
    await server.query(`DROP DATABASE IF EXISTS ${db}`);
  }
}

export { benchS3 } from "./_s3.ts";
