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

/** Buffers and writes the records of one run. */
export class SyncWriter {
  readonly #streams = new Map<string, StreamBuffer>();
  #buffered = 0;

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
    s.rows.push({ ...data, $table: s.plan.table });
    this.#buffered++;
    return true;
  }

  /** Rows written so far, per stream. */
  metrics(): Record<string, number> {
    return Object.fromEntries([...this.#streams].map(([k, s]) => [k, s.written]));
  }

  /**
   * Writes everything buffered; resolves once every stream's rows are committed. A full-refresh
   * stream's table is emptied before its first rows of the run (and at the end when it had none).
   */
  async flush({ final = false }: { final?: boolean } = {}): Promise<void> {
    for (const s of this.#streams.values()) {
      if (s.plan.syncMode === "full_refresh" && !s.cleared && (s.rows.length || final)) {
        await this.#clear(s.plan.table);
        s.cleared = true;
      }
      if (s.rows.length === 0) continue;
      const rows = s.rows;
      const outcome = await s.warehouse.write(rows, "batch");
      if (!outcome.committed) {
        const failed = outcome.events.find((e) => !e.ok);
        throw new Error(
          `Cannot write stream "${s.plan.name}" to table ${s.plan.table}: ${outcome.error ?? failed?.error}`,
        );
      }
      const bad = outcome.events.find((e) => !e.ok);
      if (bad) throw new Error(`Cannot write stream "${s.plan.name}": ${bad.error}`);
      s.written += rows.length;
      this.#buffered -= rows.length;
      s.rows = [];
    }
  }

  async #clear(table: string): Promise<void> {
    const name = sanitizeName(table, this.client.maxNameLength);
    const cols = await this.client.loadColumns(name);
    if (cols) await this.client.query(`delete from ${this.client.table(name)}`);
  }
}

/** The column a primary-key path (Airbyte `[["id"]]`, `[["a","b"]]`) becomes after flattening. */
export function keyColumn(path: string[], maxNameLength: number): string {
  return sanitizeName(path.join("_"), maxNameLength);
}
