import { type Clock, systemClock } from "../../clock.ts";
import { errorMessage, type SqlRunner, type WarehouseClient } from "./client.ts";
import { encodeTable, type Group, neededTypes, type Prepared } from "./prepare.ts";
import { SchemaCache } from "./schema.ts";
import { type EventMapper, eventMapper } from "./shapes.ts";
import type {
  BulkerBatchEntry,
  BulkerStreamEntry,
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
  readonly #mapper: EventMapper;
  readonly #encoding: { deduplicate: boolean; primaryKey: string[] };

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
    this.#mapper = eventMapper(options.dataLayout, client.maxNameLength);
    this.#encoding = { deduplicate: options.deduplicate, primaryKey: this.#pk };
  }

  /** Writes `events` in one transaction and says what became of each. Never throws for a write failure. */
  async write(events: WarehouseEvent[], mode: "stream" | "batch" = this.options.mode): Promise<WriteOutcome> {
    const clock = this.deps.clock ?? systemClock;
    const started = clock.now().getTime();
    // Filled in below; an event that could not be mapped has its failure already.
    const outcomes: (EventOutcome | undefined)[] = new Array(events.length);
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
      const rows = p.group.rows.length;
      const message = error && `Cannot write ${rows} rows to table ${p.table}: ${error}`;
      batches.push({
        representation: p.representation,
        status: committed ? "COMPLETED" : "FAILED",
        mode,
        ...(message ? { error: message } : {}),
        processedRows: rows,
        processedBytes: p.payload ? p.payload.bytes : p.bytes,
        successfulRows: committed ? rows - (p.rejected?.size ?? 0) : 0,
        processingTimeSec: seconds,
        lastMappedRow: p.written[p.written.length - 1],
      });
      const eventOf = p.group.events;
      for (let i = 0; i < rows; i++) {
        const e = eventOf[i];
        const why = p.rejected?.get(i);
        // A row left out fails whether or not the rest committed: it would be left out again.
        const failed = why !== undefined ? `Cannot write a row to table ${p.table}: ${why}` : message;
        const ok = committed && why === undefined;
        const entry = streamEntry(ok, p.representation, p.written[i], failed, events[e]);
        const o = outcomes[e];
        if (o === undefined) {
          outcomes[e] = ok ? { ok: true, entries: [entry] } : { ok: false, entries: [entry], error: failed };
        } else {
          o.entries.push(entry);
          if (!ok) {
            o.ok = false;
            o.error = failed;
          }
        }
      }
    }
    for (let i = 0; i < outcomes.length; i++) outcomes[i] ??= { ok: true, entries: [] };
    return { committed, ...(error ? { error } : {}), events: outcomes as EventOutcome[], batches };
  }

  /** Maps events to rows grouped by table; events that cannot be written get their failure here. */
  #map(events: WarehouseEvent[], outcomes: (EventOutcome | undefined)[]): Map<string, Group> {
    const groups = new Map<string, Group>();
    const pk = this.options.deduplicate ? this.#pk : [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      try {
        const rows = this.#mapper.map(event);
        for (const { row } of rows) {
          for (const k of pk) {
            if (row[k] === undefined) {
              throw new Error(`primary key column "${k}" has no value (event has no ${k})`);
            }
          }
        }
        for (const { table, row, shape } of rows) {
          let group = groups.get(table);
          if (group === undefined) groups.set(table, group = { events: [], rows: [], shapes: [] });
          group.events.push(i);
          group.rows.push(row);
          group.shapes.push(shape);
        }
      } catch (e) {
        const error = `Cannot map event: ${errorMessage(e)}`;
        outcomes[i] = {
          ok: false,
          error,
          entries: [{ original: JSON.stringify(event), status: "FAILED", error }],
        };
      }
    }
    return groups;
  }

  /** Evolves each table for its rows and encodes the rows against the resulting columns. */
  async #prepare(groups: Map<string, Group>): Promise<Prepared[]> {
    const out: Prepared[] = [];
    const pk = this.options.deduplicate ? this.#pk : [];
    for (const [table, group] of groups) {
      const needed = neededTypes(group);
      const cols = await this.schema.ensure(table, needed, pk);
      out.push(encodeTable(this.client, this.#encoding, table, group, cols, needed));
    }
    return out;
  }

  async #commit(prepared: Prepared[]): Promise<void> {
    const nonEmpty = prepared.filter((p) => p.count);
    if (nonEmpty.length === 0) return;
    if (nonEmpty.length === 1 && !this.deps.faults && this.#oneStatement(nonEmpty[0])) {
      // One table written by one statement (one row in stream mode; a batch the client inserts in one
      // statement): autocommitted, it is as atomic as a transaction and saves the BEGIN and COMMIT round
      // trips, which a batch waited for before its queue rows could be acknowledged.
      await this.#insert(this.client, nonEmpty[0]);
      return;
    }
    await this.client.transaction(async (tx) => {
      for (const p of nonEmpty) {
        await this.#insert(tx, p);
        await this.deps.faults?.afterInsert?.(p.table);
      }
    });
  }

  /** Whether the client writes `p` in one statement. */
  #oneStatement(p: Prepared): boolean {
    if (p.count === 1) return true;
    const max = p.payload ? undefined : this.client.oneStatementRows?.(p.columns.length);
    return max !== undefined && p.count <= max;
  }

  #insert(tx: SqlRunner, p: Prepared): Promise<void> {
    if (p.payload) return this.client.insertEncoded!(tx, p.table, p.columns, p.payload);
    return this.client.insert(tx, p.table, p.columns, p.cells, this.options.deduplicate ? this.#pk : null);
  }

  /** When preparing failed (e.g. no connection), statuses still name the tables and rows. */
  #unprepared(groups: Map<string, Group>): Prepared[] {
    return [...groups].map(([table, group]) => ({
      table,
      columns: [],
      count: 0,
      cells: [],
      bytes: 0,
      written: group.rows,
      group,
      representation: { name: table, schema: {} },
    }));
  }
}

/**
 * A `bulker_stream` entry whose `original` (the raw event JSON) is a getter: serialising every event of
 * a large batch only pays off when the entry is actually logged, and JSON.stringify reads getters. A class
 * (the getter on its prototype, enumerable there) rather than an object literal with a getter, which made a
 * closure and an accessor for every row written.
 */
class StreamEntry implements BulkerStreamEntry {
  readonly status: "SUCCESS" | "FAILED";
  readonly error?: string;
  readonly representation: TableRepresentation;
  readonly mappedData: FlatRow;
  readonly #event: WarehouseEvent;

  constructor(
    committed: boolean,
    row: { representation: TableRepresentation; mappedData: FlatRow; error?: string; event: WarehouseEvent },
  ) {
    this.status = committed ? "SUCCESS" : "FAILED";
    if (row.error) this.error = row.error;
    this.representation = row.representation;
    this.mappedData = row.mappedData;
    this.#event = row.event;
  }

  get original(): string {
    return JSON.stringify(this.#event);
  }

  /** What JSON.stringify writes: `original` last, as the object literal had it. */
  toJSON(): Record<string, unknown> {
    return {
      status: this.status,
      ...(this.error ? { error: this.error } : {}),
      representation: this.representation,
      mappedData: this.mappedData,
      original: this.original,
    };
  }
}

function streamEntry(
  committed: boolean,
  representation: TableRepresentation,
  mappedData: FlatRow,
  error: string | undefined,
  event: WarehouseEvent,
): BulkerStreamEntry {
  return new StreamEntry(committed, { representation, mappedData, error, event });
}
