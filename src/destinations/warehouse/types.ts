/**
 * Shared shapes of the warehouse core: events in, rows out, column types, write outcomes.
 * The core knows nothing about the pipeline; src/destinations/{postgres,mysql}.ts adapt it.
 */

/** An analytics event as the pipeline hands it over (Segment/Jitsu shape, already normalised). */
export type WarehouseEvent = Record<string, unknown>;

/** Column types the core creates and reasons about; anything else found in a table is "foreign". */
export type ColumnType = "boolean" | "bigint" | "double" | "timestamp" | "text" | "json";

/** A column as found in the warehouse: one of ours, or a type we did not create (left alone). */
export type ExistingType = ColumnType | "foreign";

/** One flattened value ready to type: scalars, or an array kept whole (stored as JSON). */
export type FlatValue = string | number | boolean | unknown[];

/** A row bound for one table: sanitised column names to values. */
export type FlatRow = Record<string, FlatValue>;

/** What a data layout makes of one event: one or more rows, each for a table. */
export interface MappedRow {
  table: string;
  row: FlatRow;
}

/** What a column of a shaped row holds: a string, a finite number, a boolean, or an array (JSON). */
export type ValueKind = "s" | "n" | "b" | "a";

/**
 * The columns (in the row's key order) and value kinds shared by every row one compiled mapper writes
 * (src/destinations/warehouse/shapes.ts).
 */
export interface RowShape {
  readonly table: string;
  readonly columns: readonly string[];
  readonly kinds: readonly ValueKind[];
}

/** A mapped row; `shape` is set when a compiled mapper wrote it (its keys and kinds are exactly those). */
export interface ShapedRow extends MappedRow {
  shape?: RowShape;
}

/** Jitsu's data layouts (console destinations.tsx BaseBulkerConnectionOptions). */
export type DataLayout = "segment-single-table" | "segment" | "passthrough";

/** The connection options the warehouse core honours (Jitsu names and defaults). */
export interface WarehouseOptions {
  dataLayout: DataLayout;
  /** Upsert on the primary key so resent events replace instead of doubling. */
  deduplicate: boolean;
  /** Comma-separated primary key columns (default `message_id`). */
  primaryKey: string;
  mode: "stream" | "batch";
  /** Batch mode: flush when this many events are buffered. */
  batchSize: number;
  /** Batch mode: flush at least every this many minutes. */
  frequency: number;
}

/** The table layout a write used (Jitsu's `representation`). */
export interface TableRepresentation {
  name: string;
  schema: Record<string, string>;
  primaryKeyFields?: string[];
}

/** Live Events `bulker_stream` content: one per row written (or not). */
export interface BulkerStreamEntry {
  original: string;
  status: "SUCCESS" | "FAILED";
  error?: string;
  representation?: TableRepresentation;
  mappedData?: FlatRow;
}

/** Live Events `bulker_batch` content: one per table of a flushed batch. */
export interface BulkerBatchEntry {
  representation: TableRepresentation;
  status: "COMPLETED" | "FAILED";
  mode: "batch" | "stream";
  error?: string;
  processedRows: number;
  processedBytes: number;
  successfulRows: number;
  processingTimeSec: number;
  lastMappedRow?: FlatRow;
}

/** What became of one event of a write. */
export interface EventOutcome {
  ok: boolean;
  error?: string;
  /** One entry per mapped row, for the `bulker_stream` log. */
  entries: BulkerStreamEntry[];
}

/** What became of a write of one or more events (one transaction). */
export interface WriteOutcome {
  /** False when the transaction did not commit: nothing of it is in the warehouse. */
  committed: boolean;
  error?: string;
  /** Same order as the input events. */
  events: EventOutcome[];
  /** One per table touched, for the `bulker_batch` log. */
  batches: BulkerBatchEntry[];
}
