/**
 * The destination side of a run: buffers records per stream and writes them through the warehouse
 * core (src/destinations/warehouse/), one transaction per stream and flush. Incremental streams with a
 * primary key upsert on it, so records a crashed run had already written are replaced, not doubled.
 */
import type { WarehouseClient } from "../destinations/warehouse/client.ts";
import { sanitizeName } from "../destinations/warehouse/identifiers.ts";
import { Warehouse } from "../destinations/warehouse/warehouse.ts";
import type { WarehouseEvent } from "../destinations/warehouse/types.ts";

/** How one stream is written. */
export interface StreamPlan {
  name: string;
  table: string;
  syncMode: "full_refresh" | "incremental";
  /** Column names of the primary key (already flattened and sanitised); empty: append only. */
  primaryKey: string[];
}

interface StreamBuffer {
  plan: StreamPlan;
  warehouse: Warehouse;
  rows: WarehouseEvent[];
  written: number;
  cleared: boolean;
}

/**
 * Buffers and writes the records of one run. Writes are queued and run one after another while the
 * connector's output keeps being read (parsing and the database work overlap); at most two are queued
 * before commit() waits. After a failed write nothing else queued runs, so no state after it is saved.
 */
export class SyncWriter {
  readonly #streams = new Map<string, StreamBuffer>();
  #buffered = 0;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #error: unknown = null;

  constructor(readonly client: WarehouseClient, plans: StreamPlan[]) {
    for (const plan of plans) {
      const dedup = plan.syncMode === "incremental" && plan.primaryKey.length > 0;
      const warehouse = new Warehouse(client, {
        dataLayout: "passthrough",
        deduplicate: dedup,
        primaryKey: plan.primaryKey.join(","),
        mode: "batch",
        batchSize: 0,
        frequency: 0,
      });
      this.#streams.set(plan.name, { plan, warehouse, rows: [], written: 0, cleared: false });
    }
  }

  /** Records waiting for a flush. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Whether records of `stream` are expected (a stream not selected is ignored). */
  has(stream: string): boolean {
    return this.#streams.has(stream);
  }

  add(stream: string, data: Record<string, unknown>): boolean {
    const s = this.#streams.get(stream);
    if (!s) return false;
    // The record was parsed for this run alone: tag it in place rather than copy it.
    data.$table = s.plan.table;
    s.rows.push(data);
    this.#buffered++;
    return true;
  }

  /** Rows written so far, per stream. */
  metrics(): Record<string, number> {
    return Object.fromEntries([...this.#streams].map(([k, s]) => [k, s.written]));
  }

  /**
   * Queues a write of everything buffered, then `after` (saving the state those records cover).
   * `final` empties a full-refresh table that got no rows at all.
   */
  async commit(after?: () => Promise<void>, { final = false }: { final?: boolean } = {}): Promise<void> {
    if (this.#error) throw this.#error;
    const batch = [...this.#streams.values()].map((s) => {
      const rows = s.rows;
      s.rows = [];
      return { s, rows };
    });
    this.#buffered = 0;
    this.#queued++;
    this.#queue = this.#queue.then(async () => {
      if (this.#error) return;
      for (const { s, rows } of batch) await this.#write(s, rows, final);
      await after?.();
    }).catch((e) => {
      this.#error ??= e;
    }).finally(() => {
      this.#queued--;
    });
    if (this.#queued >= 2) await this.#queue;
    if (this.#error) throw this.#error;
  }

  /** Waits for every queued write; throws the first failure. */
  async drain(): Promise<void> {
    await this.#queue;
    if (this.#error) throw this.#error;
  }

  async #write(s: StreamBuffer, rows: WarehouseEvent[], final: boolean): Promise<void> {
    if (s.plan.syncMode === "full_refresh" && !s.cleared && (rows.length || final)) {
      await this.#clear(s.plan.table);
      s.cleared = true;
    }
    if (rows.length === 0) return;
    const outcome = await s.warehouse.write(rows, "batch");
    const bad = outcome.events.find((e) => !e.ok);
    if (!outcome.committed || bad) {
      throw new Error(
        `Cannot write stream "${s.plan.name}" to table ${s.plan.table}: ${outcome.error ?? bad?.error}`,
      );
    }
    s.written += rows.length;
  }

  async #clear(table: string): Promise<void> {
    const name = sanitizeName(table, this.client.maxNameLength);
    const cols = await this.client.loadColumns(name);
    // TRUNCATE: far faster than DELETE on a big table; it is a statement of its own (MySQL commits it).
    if (cols) await this.client.query(`truncate table ${this.client.table(name)}`);
  }
}

/** The column a primary-key path (Airbyte `[["id"]]`, `[["a","b"]]`) becomes after flattening. */
export function keyColumn(path: string[], maxNameLength: number): string {
  return sanitizeName(path.join("_"), maxNameLength);
}
