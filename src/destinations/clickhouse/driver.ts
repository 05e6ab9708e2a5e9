/**
 * The `clickhouse` destination: the warehouse core (src/destinations/warehouse/warehouse.ts: layouts,
 * flattening, schema evolution, bulker_stream/bulker_batch statuses) over ClickHouse's HTTP interface
 * (client.ts). Stream mode inserts each event as it comes; batch mode one INSERT per table and batch.
 */
import type { Clock } from "../../clock.ts";
import { AppError } from "../../errors.ts";
import type { Resolver } from "../../net/resolve.ts";
import type { DestinationDriver, WriteBatch, WriteResult } from "../driver.ts";
import { sameResultForAll } from "../driver.ts";
import { errorMessage, type WarehouseClient } from "../warehouse/client.ts";
import { parseWarehouseOptions } from "../warehouse/credentials.ts";
import type { EventOutcome } from "../warehouse/types.ts";
import { Warehouse } from "../warehouse/warehouse.ts";
import type { BatchStatusSink } from "../warehouse/warehouse_driver.ts";
import { clickhouseClient } from "./client.ts";
import { parseClickhouseCredentials } from "./credentials.ts";
import { testClickhouseConnection } from "./test_connection.ts";

export interface ClickhouseDriverOptions {
  clock?: Clock;
  onBatch?: BatchStatusSink;
  /** DESTINATIONS_ALLOW_PRIVATE_NETWORK: loopback and private hosts (and plain http to them). */
  allowPrivateNetwork?: boolean;
  /** Test seam for DNS. */
  resolve?: Resolver;
}

interface Pool {
  key: string;
  client: Promise<WarehouseClient>;
  warehouses: Map<string, Warehouse>;
}

function toResult(o: EventOutcome, committed: boolean): WriteResult {
  const last = o.entries[o.entries.length - 1];
  const tables = [...new Set(o.entries.map((e) => e.representation?.name).filter(Boolean))];
  return {
    status: o.ok ? "SUCCESS" : "FAILED",
    ...(o.error ? { error: o.error } : {}),
    ...(o.ok ? {} : { retryable: !committed }),
    ...(tables.length ? { target: tables.join(", ") } : {}),
    ...(last?.mappedData ? { mappedData: last.mappedData } : {}),
    ...(last?.representation ? { representation: last.representation } : {}),
  };
}

/** The ClickHouse driver: one client per destination (dropped when its credentials change). */
export function clickhouseDriver(options: ClickhouseDriverOptions = {}): DestinationDriver {
  const pools = new Map<string, Pool>();
  const http = { allowPrivateNetwork: options.allowPrivateNetwork ?? true, resolve: options.resolve };

  async function warehouseFor(batch: WriteBatch): Promise<Warehouse> {
    const creds = parseClickhouseCredentials(batch.destination.credentials);
    const key = JSON.stringify(batch.destination.credentials);
    let pool = pools.get(batch.destination.id);
    if (pool && pool.key !== key) pool = undefined;
    if (!pool) {
      const client = clickhouseClient(creds, http);
      client.catch(() => pools.delete(batch.destination.id)); // reconnect on the next write
      pool = { key, client, warehouses: new Map() };
      pools.set(batch.destination.id, pool);
    }
    const opts = parseWarehouseOptions(batch.connection.options);
    const optsKey = JSON.stringify([opts.dataLayout, opts.deduplicate, opts.primaryKey]);
    const client = await pool.client;
    let wh = pool.warehouses.get(optsKey);
    if (!wh) {
      wh = new Warehouse(client, opts, { clock: options.clock });
      pool.warehouses.set(optsKey, wh);
    }
    return wh;
  }

  return {
    type: "clickhouse",
    modes: ["stream", "batch"],
    async write(batch) {
      if (batch.signal.aborted) {
        return sameResultForAll(batch, {
          status: "FAILED",
          error: "Write aborted: server shutting down",
          retryable: true,
        });
      }
      let wh: Warehouse;
      try {
        wh = await warehouseFor(batch);
      } catch (e) {
        // Bad settings fail the same way next time; an unreachable or refusing server may recover.
        const retryable = !(e instanceof AppError);
        return sameResultForAll(batch, { status: "FAILED", error: errorMessage(e), retryable });
      }
      const outcome = await wh.write(batch.events, batch.connection.mode);
      if (options.onBatch && batch.connection.mode === "batch" && outcome.batches.length) {
        try {
          await options.onBatch(outcome.batches, batch);
        } catch (e) {
          batch.log.warn("Cannot record bulker_batch status", { error: errorMessage(e) });
        }
      }
      return outcome.events.map((o) => toResult(o, outcome.committed));
    },
    async test(credentials) {
      const r = await testClickhouseConnection(credentials, http);
      return r.ok ? { ok: true } : { ok: false, error: r.error };
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.client.then((c) => c.close()).catch(() => {})));
    },
  };
}
