import type { Clock } from "../../clock.ts";
import { AppError } from "../../errors.ts";
import type { DestinationDriver, TestResult, WriteBatch, WriteResult } from "../driver.ts";
import { destinationKey, sameResultForAll } from "../driver.ts";
import type { WarehouseClient } from "./client.ts";
import { errorMessage } from "./client.ts";
import { describeConnectError, isConnectError, type WarehouseKind } from "./connect_errors.ts";
import {
  type MysqlCredentials,
  parseMysqlCredentials,
  parsePostgresCredentials,
  parseWarehouseOptions,
  type PostgresCredentials,
} from "./credentials.ts";
import { openWarehouseClient, testConnection } from "./test_connection.ts";
import type { BulkerBatchEntry, EventOutcome } from "./types.ts";
import { Warehouse } from "./warehouse.ts";

/** Where a driver sends its per-batch statuses (`bulker_batch` in Live Events). */
export type BatchStatusSink = (
  entries: BulkerBatchEntry[],
  batch: Pick<WriteBatch, "destination" | "connection">,
) => void | Promise<void>;

export interface WarehouseDriverOptions {
  clock?: Clock;
  /**
   * Receives the `bulker_batch` entries of every batch-mode write. With it the driver says it logs its
   * batches (`logsBatches`): the pipeline then logs only failed events of a batch-mode write per event.
   */
  onBatch?: BatchStatusSink;
}

interface Pool {
  /** Credentials fingerprint: a changed destination gets a fresh pool. */
  key: string;
  client: Promise<WarehouseClient>;
  /** One schema cache per set of connection options that shape rows. */
  warehouses: Map<string, Warehouse>;
}

/** How a destination's parsed credentials connect: what {@linkcode warehouseBackedDriver} asks a backend. */
export interface WarehouseConnection {
  /** Fingerprint of the parsed credentials: a change opens a fresh pool and closes the old one. */
  key: string;
  open(): Promise<WarehouseClient>;
  /** Why a write failed for a reason other than its data (default: the error's own message). */
  describeError?: (e: unknown) => Promise<string>;
}

/** What differs between warehouses: parsing credentials, opening a client, the connection test. */
export interface WarehouseBackend {
  type: string;
  /** Parses a destination's credentials; bad settings throw an AppError naming the field. */
  connect(credentials: Record<string, unknown>): WarehouseConnection;
  test(credentials: Record<string, unknown>): Promise<TestResult>;
}

/**
 * One event's result. Built field by field: a batch's results are one per event (1,000 and more a call), and
 * the set, arrays and spread objects of the general case were a visible share of a warehouse batch's
 * garbage; an event written to one table (the usual case) names it without them.
 */
function toResult(o: EventOutcome, committed: boolean): WriteResult {
  const entries = o.entries;
  const last = entries[entries.length - 1];
  const r: WriteResult = { status: o.ok ? "SUCCESS" : "FAILED" };
  if (o.error) r.error = o.error;
  // A mapping failure will fail again; a transaction that did not commit may succeed later.
  if (!o.ok) r.retryable = !committed;
  const target = entries.length === 1
    ? last.representation?.name
    : [...new Set(entries.map((e) => e.representation?.name).filter(Boolean))].join(", ");
  if (target) r.target = target;
  if (last?.mappedData) r.mappedData = last.mappedData;
  if (last?.representation) r.representation = last.representation;
  return r;
}

/**
 * A DestinationDriver over the warehouse core and one backend (PostgreSQL, MySQL, ClickHouse): one pool
 * per destination, keyed by {@linkcode destinationKey}, every write() one transaction where the warehouse
 * has them, so the pipeline acknowledging after write() resolves never acknowledges an event that is not
 * committed. The pipeline owns batching: batchSize/frequency decide how many events it hands over
 * (src/pipeline/batch_mode.ts).
 */
export function warehouseBackedDriver(
  backend: WarehouseBackend,
  options: WarehouseDriverOptions = {},
): DestinationDriver {
  const pools = new Map<string, Pool>();

  async function warehouseFor(batch: WriteBatch, conn: WarehouseConnection): Promise<Warehouse> {
    const dest = destinationKey(batch.destination);
    let pool = pools.get(dest);
    if (pool && pool.key !== conn.key) {
      void pool.client.then((c) => c.close()).catch(() => {});
      pool = undefined;
    }
    if (!pool) {
      const client = conn.open();
      client.catch(() => pools.delete(dest)); // reconnect on the next write
      pool = { key: conn.key, client, warehouses: new Map() };
      pools.set(dest, pool);
    }
    const opts = parseWarehouseOptions(batch.connection.options);
    const optsKey = JSON.stringify([opts.dataLayout, opts.deduplicate, opts.primaryKey]);
    const client = await pool.client;
    let wh = pool.warehouses.get(optsKey);
    if (!wh) {
      wh = new Warehouse(client, opts, { clock: options.clock, describeError: conn.describeError });
      pool.warehouses.set(optsKey, wh);
    }
    return wh;
  }

  return {
    type: backend.type,
    modes: ["stream", "batch"],
    logsBatches: options.onBatch !== undefined,
    async write(batch) {
      if (batch.signal.aborted) {
        return sameResultForAll(batch, {
          status: "FAILED",
          error: "Write aborted: server shutting down",
          retryable: true,
        });
      }
      let wh: Warehouse;
      let conn: WarehouseConnection | undefined;
      try {
        conn = backend.connect(batch.destination.credentials);
        wh = await warehouseFor(batch, conn);
      } catch (e) {
        // Bad settings fail the same way next time; an unreachable or refusing server may recover.
        if (e instanceof AppError) {
          return sameResultForAll(batch, { status: "FAILED", error: e.message, retryable: false });
        }
        const error = conn?.describeError ? await conn.describeError(e) : errorMessage(e);
        return sameResultForAll(batch, { status: "FAILED", error, retryable: true });
      }
      const outcome = await wh.write(batch.events, batch.connection.mode);
      // Jitsu logs bulker_batch for batch mode only; stream mode has its per-event bulker_stream entries.
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
      const r = await backend.test(credentials);
      return r.ok ? { ok: true } : { ok: false, error: r.error };
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.client.then((c) => c.close()).catch(() => {})));
    },
  };
}

/** The `postgres` and `mysql` destinations. */
export function warehouseDriver(
  kind: WarehouseKind,
  options: WarehouseDriverOptions = {},
): DestinationDriver {
  return warehouseBackedDriver({
    type: kind,
    connect(credentials) {
      const creds: PostgresCredentials | MysqlCredentials = kind === "postgres"
        ? parsePostgresCredentials(credentials)
        : parseMysqlCredentials(credentials);
      return {
        key: JSON.stringify(creds),
        open: () => openWarehouseClient(kind, creds),
        // The pool could not open (MySQL connects eagerly), or lost its server: say why.
        describeError: async (e) =>
          isConnectError(e) ? await describeConnectError(kind, creds, e) : errorMessage(e),
      };
    },
    test: (credentials) => testConnection(kind, credentials),
  }, options);
}
