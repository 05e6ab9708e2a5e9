/**
 * `deno task bench sync [records]` (default 100,000): a full-refresh sync of that many records from a
 * local connector (a shell script that prints pre-generated RECORD lines, so the connector costs next
 * to nothing) into PostgreSQL, through the whole run (spec, discover, read, parse, buffer, warehouse
 * writes, state), next to a raw multi-row INSERT (1000 rows a statement, one transaction) of the same
 * rows, already flattened and encoded, in the same run. Target: the sync at least 50% of raw. Figures
 * only. Uses a throwaway database for Sluice's store and a throwaway schema in `test` as the warehouse.
 */
import postgres from "postgres";
import { cliPrincipal } from "../src/auth/principal.ts";
import { closeDeps, openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import type { Ctx } from "../src/deps.ts";
import { flattenObject } from "../src/destinations/warehouse/flatten.ts";
import { openWarehouseClient } from "../src/destinations/warehouse/test_connection.ts";
import { parsePostgresCredentials } from "../src/destinations/warehouse/credentials.ts";
import { createLogger } from "../src/log.ts";
import { createResource } from "../src/services/resources.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import { startSyncRun } from "../src/sync/syncs.ts";
import { listSyncTasks } from "../src/store/sync_repo.ts";

const HOST = Deno.env.get("WAREHOUSE_PG_HOST") ?? "127.0.0.1";

function record(i: number): Record<string, unknown> {
  return {
    id: i,
    name: `Customer ${i}`,
    email: `customer${i}@example.com`,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 86400)).toISOString(),
    amount: (i % 1000) + 0.25,
    active: i % 3 !== 0,
    address: { city: `City ${i % 100}`, country: "DE", zip: String(10000 + (i % 9000)) },
  };
}

async function writeConnector(dir: string, n: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    lines.push(
      JSON.stringify({ type: "RECORD", record: { stream: "customers", data: record(i), emitted_at: 0 } }),
    );
    if (i % 10000 === 0) lines.push(JSON.stringify({ type: "STATE", state: { data: { at: i } } }));
  }
  await Deno.writeTextFile(`${dir}/records.jsonl`, lines.join("\n") + "\n");
  const catalog = JSON.stringify({
    type: "CATALOG",
    catalog: {
      streams: [{
        name: "customers",
        json_schema: { type: "object" },
        supported_sync_modes: ["full_refresh"],
      }],
    },
  });
  await Deno.writeTextFile(
    `${dir}/bench-source`,
    `#!/bin/sh
case "$1" in
  spec) echo '{"type":"SPEC","spec":{"connectionSpecification":{"type":"object","properties":{}}}}' ;;
  check) echo '{"type":"CONNECTION_STATUS","connectionStatus":{"status":"SUCCEEDED"}}' ;;
  discover) echo '${catalog}' ;;
  read) cat '${dir}/records.jsonl' ;;
esac
`,
    { mode: 0o755 },
  );
}

async function rawInsert(schema: string, n: number, table: string): Promise<number> {
  const creds = parsePostgresCredentials({
    host: HOST,
    database: "test",
    username: "postgres",
    sslMode: "disable",
    defaultSchema: schema,
  });
  const client = await openWarehouseClient("postgres", creds);
  try {
    // The table the sync created (same columns and types), empty, for the same rows.
    await client.query(`create table ${client.table(table)} (like ${client.table("customers")})`);
    const cols = (await client.loadColumns(table))!;
    const rows = Array.from({ length: n }, (_, i) => flattenObject(record(i + 1)));
    const columns = Object.keys(rows[0]);
    const cells = rows.map((r) => columns.map((c) => client.encode(r[c], cols.get(c)!)));
    await client.query("checkpoint").catch(() => {});
    const started = performance.now();
    await client.transaction(async (tx) => {
      for (let i = 0; i < cells.length; i += 1000) {
        const chunk = cells.slice(i, i + 1000);
        let k = 0;
        const tuples = chunk.map((r) => `(${r.map(() => `$${++k}`).join(",")})`).join(",");
        await tx.query(
          `insert into ${client.table(table)} (${columns.map(client.quote).join(",")}) values ${tuples}`,
          chunk.flat(),
        );
      }
    });
    return (performance.now() - started) / 1000;
  } finally {
    await client.close();
  }
}

export async function run(args: string[] = []): Promise<void> {
  const n = Number(args[0] ?? 100_000);
  const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const storeDb = `sluice_bench_sync_${tag}`;
  const schema = `sluice_wh_bench_sync_${tag}`;
  const admin = postgres(`postgres://postgres@${HOST}:5432/postgres`, { max: 1, onnotice: () => {} });
  const wh = postgres(`postgres://postgres@${HOST}:5432/test`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${storeDb}`);
  await wh.unsafe(`create schema ${schema}`);
  const dir = await Deno.makeTempDir({ prefix: "sluice-bench-sync-" });
  try {
    await writeConnector(dir, n);
    const config = loadConfig({
      DATABASE_URL: `postgres://postgres@${HOST}:5432/${storeDb}`,
      SYNC_CONNECTORS_DIR: dir,
      SLUICE_PEPPER: "bench-pepper-0123456789",
      LOG_LEVEL: "warn",
    });
    const deps = await openDeps(config, { log: createLogger({ level: "warn" }) });
    try {
      const user = await createUser(deps.db, {
        email: `bench-${tag}@example.com`,
        password: null,
        isAdmin: false,
      });
      const ctx: Ctx = {
        ...deps,
        principal: { ...cliPrincipal(user), via: { kind: "cli" } },
        requestId: "bench",
      };
      const ws = await createWorkspace(ctx, { name: "Bench" });
      const svc = await createResource(ctx, {
        workspaceId: ws.id,
        type: "service",
        data: { name: "Bench", package: "bench-source" },
      }) as { id: string };
      const dest = await createResource(ctx, {
        workspaceId: ws.id,
        type: "destination",
        data: {
          name: "WH",
          destinationType: "postgres",
          host: HOST,
          database: "test",
          username: "postgres",
          sslMode: "disable",
          defaultSchema: schema,
        },
      }) as { id: string };
      const conn = await createResource(ctx, {
        workspaceId: ws.id,
        type: "connection",
        data: {
          type: "sync",
          fromId: svc.id,
          toId: dest.id,
          data: { streams: { customers: { sync_mode: "full_refresh" } } },
        },
      }) as { id: string };
      console.log(
        `sync bench: ${n} records, full refresh, postgres, one stream (7 fields, one nested object)`,
      );
      console.log("what            rows      seconds   rows/s    vs raw");
      let syncSec = Infinity;
      let rawSec = Infinity;
      for (let round = 0; round < 3; round++) {
        await wh.unsafe("checkpoint").catch(() => {});
        const started = performance.now();
        const r = await startSyncRun(deps, {
          workspaceId: ws.id,
          connectionId: conn.id,
          trigger: "manual",
          fullSync: false,
        });
        await r!.done;
        syncSec = Math.min(syncSec, (performance.now() - started) / 1000);
        const [task] = await listSyncTasks(deps.db, { workspaceId: ws.id, connectionId: conn.id }, {
          limit: 1,
        });
        if (task.status !== "SUCCESS") throw new Error(`sync failed: ${task.error}`);
        rawSec = Math.min(rawSec, await rawInsert(schema, n, `raw_${round}`));
      }
      const rows = await wh.unsafe(`select count(*)::int as n from ${schema}.customers`);
      if (rows[0].n !== n) throw new Error(`expected ${n} rows, found ${rows[0].n}`);
      const line = (what: string, sec: number) =>
        console.log(
          `${what.padEnd(15)} ${String(n).padEnd(9)} ${sec.toFixed(2).padStart(7)}  ${
            Math.round(n / sec).toString().padStart(8)
          }  ${what === "raw insert" ? "" : `${Math.round((rawSec / sec) * 100)}%`}`,
        );
      line("raw insert", rawSec);
      line("sync run", syncSec);
    } finally {
      await closeDeps(deps);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await wh.unsafe(`drop schema ${schema} cascade`);
    await admin.unsafe(`drop database if exists ${storeDb} with (force)`);
    await wh.end();
    await admin.end();
  }
}

export default run;

if (import.meta.main) await run(Deno.args);
