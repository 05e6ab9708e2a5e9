import { type Clock, systemClock } from "../../clock.ts";
import { type Cell, errorMessage, type WarehouseClient } from "./client.ts";
import { fits, inferType, widen } from "./column_types.ts";
import { mapEvent } from "./layout.ts";
import { type Columns, SchemaCache, UNMAPPED_COLUMN } from "./schema.ts";
import type {
  BulkerBatchEntry,
  BulkerStreamEntry,
  ColumnType,
  EventOutcome,
  FlatRow,
  TableRepresentation,
  WarehouseEvent,
  WarehouseOptions,
  WriteOutcome,
} from "./types.ts";

/** Test hooks that make a write fail at a chosen point (simulating a crash mid-batch). */
export interface WriteFaults {
  /** Called inside the transaction after each table's rows were inserted; throw to abort it. */
  afterInsert?(table: string): void | Promise<void>;
}

interface Item {
  event: number;
  row: FlatRow;
}

interface Prepared {
  table: string;
  columns: string[];
  cells: Cell[][];
  /** Size of the encoded values (what `bulker_batch.processedBytes` reports). */
  bytes: number;
  /** The row each input item ended up as (after values moved to `_unmapped_data`). */
  written: FlatRow[];
  items: Item[];
  representation: TableRepresentation;
}

/**
 * Writes events into one SQL warehouse: maps them per data layout, evolves the tables, and inserts
 * every row of the call in ONE transaction. Stream mode calls it with one event; batch mode with a
 * batch. A stale schema cache (table dropped or altered under us) is refreshed and the write retried
 * once. Nothing of a failed call is committed, so the caller may simply retry it; with `deduplicate`
 * a retry of a call that did commit replaces rows instead of doubling them.
 */
export class Warehouse {
  readonly schema: SchemaCache;
  readonly #pk: string[];

  constructor(
    readonly client: WarehouseClient,
    readonly options: WarehouseOptions,
    readonly deps: {
      clock?: Clock;
      faults?: WriteFaults;
      /** Words for a failure (e.g. a clear "password authentication failed"); the driver message otherwise. */
      describeError?: (e: unknown) => Promise<string>;
    } = {},
  ) {
    this.schema = new SchemaCache(client);
    this.#pk = options.primaryKey.split(",").map((s) => s.trim()).filter(Boolean);
  }

  /** Writes `events` in one transaction and says what became of each. Never throws for a write failure. */
  async write(events: WarehouseEvent[], mode: "stream" | "batch" = this.options.mode): Promise<WriteOutcome> {
    const clock = this.deps.clock ?? systemClock;
    const started = clock.now().getTime();
    const outcomes: EventOutcome[] = events.map(() => ({ ok: true, entries: [] }));
    const groups = this.#map(events, outcomes);
    let error: string | undefined;
    let prepared: Prepared[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        prepared = await this.#prepare(groups);
        await this.#commit(prepared);
        error = undefined;
        break;
      } catch (e) {
        error = this.deps.describeError ? await this.deps.describeError(e) : errorMessage(e);
        if (attempt > 0 || !this.client.isStaleSchema(e)) break;
        for (const table of groups.keys()) this.schema.invalidate(table);
      }
    }
    const committed = error === undefined;
    const seconds = (clock.now().getTime() - started) / 1000;
    const batches: BulkerBatchEntry[] = [];
    for (const p of prepared.length ? prepared : this.#unprepared(groups)) {
      const status = committed ? "SUCCESS" as const : "FAILED" as const;
      const message = error && `Cannot write ${p.items.length} rows to table ${p.table}: ${error}`;
      batches.push({
        representation: p.representation,
        status: committed ? "COMPLETED" : "FAILED",
        mode,
        ...(message ? { error: message } : {}),
        processedRows: p.items.length,
        processedBytes: p.bytes,
        successfulRows: committed ? p.items.length : 0,
        processingTimeSec: seconds,
        lastMappedRow: p.written[p.written.length - 1],
      });
      p.items.forEach((item, i) => {
        const o = outcomes[item.event];
        const entry = withOriginal(
          message
            ? { status, error: message, representation: p.representation, mappedData: p.written[i] }
            : { status, representation: p.representation, mappedData: p.written[i] },
          events[item.event],
        );
        o.entries.push(entry);
        if (!committed) {
          o.ok = false;
          o.error = message;
        }
      });
    }
    return { committed, ...(error ? { error } : {}), events: outcomes, batches };
  }

  /** Maps events to rows grouped by table; events that cannot be written get their failure here. */
  #map(events: WarehouseEvent[], outcomes: EventOutcome[]): Map<string, Item[]> {
    const groups = new Map<string, Item[]>();
    events.forEach((event, i) => {
      try {
        const rows = mapEvent(event, this.options.dataLayout, this.client.maxNameLength);
        if (this.options.deduplicate) {
          for (const { row } of rows) {
            const missing = this.#pk.find((k) => row[k] === undefined);
            if (missing) {
              throw new Error(`primary key column "${missing}" has no value (event has no ${missing})`);
            }
          }
        }
        for (const { table, row } of rows) {
          const list = groups.get(table) ?? [];
          list.push({ event: i, row });
          groups.set(table, list);
        }
      } catch (e) {
        const error = `Cannot map event: ${errorMessage(e)}`;
        outcomes[i] = {
          ok: false,
          error,
          entries: [{ original: JSON.stringify(event), status: "FAILED", error }],
        };
      }
    });
    return groups;
  }

  /** Evolves each table for its rows and encodes the rows against the resulting columns. */
  async #prepare(groups: Map<string, Item[]>): Promise<Prepared[]> {
    const out: Prepared[] = [];
    for (const [table, items] of groups) {
      const needed = new Map<string, ColumnType>();
      for (let i = 0; i < items.length; i++) {
        const row = items[i].row;
        for (const k in row) {
          const prev = needed.get(k);
          if (prev === "text") continue; // widens no further, whatever the value
          const t = inferType(row[k]);
          if (prev !== t) needed.set(k, prev ? widen(prev, t) : t);
        }
      }
      const cols = await this.schema.ensure(table, needed, this.options.deduplicate ? this.#pk : []);
      out.push(this.#encode(table, items, cols, needed));
    }
    return out;
  }

  #encode(table: string, items: Item[], cols: Columns, needed: Map<string, ColumnType>): Prepared {
    // A column that holds the widest type the batch asked for holds every value of it (widen() only
    // goes up the order fits() follows), so only the other columns need a per-value check.
    const unsure = new Set<string>();
    for (const [k, t] of needed) {
      const c = cols.get(k);
      if (c === undefined || !fits(c, t)) unsure.add(k);
    }
    const fitsColumn = (k: string, x: FlatRow[string]) => {
      if (!unsure.has(k)) return true;
      const t = cols.get(k);
      return t !== undefined && fits(t, inferType(x));
    };
    let moved = false;
    const written: FlatRow[] = unsure.size === 0 ? items.map((item) => item.row) : items.map(({ row }) => {
      let allFit = true;
      for (const k in row) {
        if (!fitsColumn(k, row[k])) {
          allFit = false;
          break;
        }
      }
      if (allFit) return row; // the common case: no copy
      moved = true;
      const kept: FlatRow = {};
      const unmapped: Record<string, unknown> = {};
      for (const k in row) {
        if (fitsColumn(k, row[k])) kept[k] = row[k];
        else unmapped[k] = row[k];
      }
      kept[UNMAPPED_COLUMN] = [unmapped];
      return kept;
    });
    // Resends inside one batch: the last one wins (an upsert cannot touch a row twice per statement).
    let rows: FlatRow[] = written;
    let dropped = false;
    if (this.options.deduplicate) {
      const pk = this.#pk;
      const keys: string[] = new Array(written.length);
      const last = new Map<string, number>();
      for (let i = 0; i < written.length; i++) {
        const row = written[i];
        const k = pk.length === 1 ? String(row[pk[0]]) : JSON.stringify(pk.map((c) => row[c]));
        keys[i] = k;
        last.set(k, i);
      }
      // Key order: two transactions upserting overlapping keys (a redelivery racing the original)
      // then lock rows in the same order and wait for each other instead of deadlocking.
      const order = [...last.values()];
      dropped = order.length < written.length;
      order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
      rows = order.map((i) => written[i]);
    }
    // Every column the batch asked for appears in some row, unless rows were dropped or values moved.
    const columns = dropped || moved
      ? [...new Set(rows.flatMap((row) => Object.keys(row)))]
      : [...needed.keys()];
    const ncol = columns.length;
    const types = columns.map((c) => cols.get(c)!);
    const client = this.client;
    let bytes = 0;
    const cells: Cell[][] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const line: Cell[] = new Array(ncol);
      for (let i = 0; i < ncol; i++) {
        const c = columns[i];
        const x = row[c];
        let cell: Cell;
        if (x === undefined) cell = null;
        // _unmapped_data holds one object; arrays are how a FlatRow carries JSON.
        else if (c === UNMAPPED_COLUMN) cell = JSON.stringify((x as unknown[])[0]);
        else cell = client.encode(x, types[i]);
        bytes += typeof cell === "string" ? cell.length : 8;
        line[i] = cell;
      }
      cells[r] = line;
    }
    const schema: Record<string, string> = {};
    for (const [name, t] of cols) {
      schema[name] = t === "foreign" ? "foreign" : this.client.sqlType(t, this.#pk.includes(name));
    }
    return {
      table,
      columns,
      cells,
      bytes,
      written: written.map(unwrapUnmapped),
      items,
      representation: {
        name: table,
        schema,
        ...(this.options.deduplicate ? { primaryKeyFields: this.#pk } : {}),
      },
    };
  }

  async #commit(prepared: Prepared[]): Promise<void> {
    const nonEmpty = prepared.filter((p) => p.cells.length);
    if (nonEmpty.length === 0) return;
    if (nonEmpty.length === 1 && nonEmpty[0].cells.length === 1 && !this.deps.faults) {
      // One row (stream mode): a single autocommitted statement is as atomic as a transaction and
      // saves the BEGIN and COMMIT round trips.
      const [p] = nonEmpty;
      await this.client.insert(
        this.client,
        p.table,
        p.columns,
        p.cells,
        this.options.deduplicate ? this.#pk : null,
      );
      return;
    }
    await this.client.transaction(async (tx) => {
      for (const p of prepared) {
        if (p.cells.length === 0) continue;
        await this.client.insert(tx, p.table, p.columns, p.cells, this.options.deduplicate ? this.#pk : null);
        await this.deps.faults?.afterInsert?.(p.table);
      }
    });
  }

  /** When preparing failed (e.g. no connection), statuses still name the tables and rows. */
  #unprepared(groups: Map<string, Item[]>): Prepared[] {
    return [...groups].map(([table, items]) => ({
      table,
      columns: [],
      cells: [],
      bytes: 0,
      written: items.map((i) => i.row),
      items,
      representation: { name: table, schema: {} },
    }));
  }
}

/**
 * Adds `original` (the raw event JSON) as a lazy property: serialising every event of a large batch
 * only pays off when the entry is actually logged, and JSON.stringify reads getters.
 */
function withOriginal(entry: Omit<BulkerStreamEntry, "original">, event: WarehouseEvent): BulkerStreamEntry {
  let text: string | undefined;
  return Object.defineProperty(entry, "original", {
    enumerable: true,
    get: () => (text ??= JSON.stringify(event)),
  }) as BulkerStreamEntry;
}

function unwrapUnmapped(row: FlatRow): FlatRow {
  const x = row[UNMAPPED_COLUMN];
  if (!Array.isArray(x)) return row;
  return { ...row, [UNMAPPED_COLUMN]: JSON.stringify(x[0]) };
}
