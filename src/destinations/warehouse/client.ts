import type { ColumnType, ExistingType, FlatValue, RowShape } from "./types.ts";
import type { WrittenRow } from "./unmapped_values.ts";

/** Something SQL runs on: the pool, or one transaction. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

/** A cell of an insert: the value encoded for its column type, or null. */
export type Cell = string | number | boolean | null;

/** Rows a client encoded into its own insert payload (WarehouseClient.encodeRows). */
export interface EncodedRows {
  readonly count: number;
  /** Size of the payload sent so far (what `bulker_batch.processedBytes` reports after the insert). */
  readonly bytes: number;
}

/**
 * What the warehouse core needs from one SQL warehouse: its dialect (quoting, types, DDL, upsert)
 * and a connection pool. One implementation per client library: pg_client.ts, mysql_client.ts.
 * Schema changes run on the pool (MySQL DDL commits implicitly, so never inside the batch's
 * transaction); inserts run inside `transaction()`.
 */
export interface WarehouseClient extends SqlRunner {
  readonly kind: "postgres" | "mysql" | "clickhouse";
  /** Longest identifier the server keeps (PostgreSQL 63 bytes, MySQL 64 characters). */
  readonly maxNameLength: number;
  /** `host:port/database[/schema]`, for messages. */
  readonly target: string;
  /** Quoted, schema-qualified table name. */
  table(name: string): string;
  quote(name: string): string;
  /** The SQL type the core creates for a column. */
  sqlType(type: ColumnType, primaryKey: boolean): string;
  /** Columns of a table, or null when it does not exist. */
  loadColumns(table: string): Promise<Map<string, ExistingType> | null>;
  createTable(table: string, columns: [string, ColumnType][], primaryKey: string[]): Promise<void>;
  addColumn(table: string, column: string, type: ColumnType): Promise<void>;
  widenColumn(table: string, column: string, type: ColumnType): Promise<void>;
  /** Encodes a value for a column of our type `type`. */
  encode(value: FlatValue, type: ExistingType): Cell;
  /**
   * Inserts rows (already encoded, aligned with `columns`) into one table; with `upsertKey` an existing
   * row with the same key is replaced. Chunks large inputs itself.
   */
  insert(
    tx: SqlRunner,
    table: string,
    columns: string[],
    rows: Cell[][],
    upsertKey: string[] | null,
  ): Promise<void>;
  /**
   * Optional, for clients whose insert payload is text built from whole rows (ClickHouse's JSONEachRow):
   * encodes `rows` for `columns` (of our `types`, aligned) straight into that payload, without cells.
   * `shapes[i]` is the compiled shape of `rows[i]` when it has one (its keys and value kinds are fixed).
   * A value that is an UnmappedValues (only ever in `_unmapped_data`) is stored as its json(); any
   * other value of that column is an event's own and is encoded like any value.
   */
  encodeRows?(
    columns: string[],
    types: ExistingType[],
    rows: WrittenRow[],
    shapes: (RowShape | undefined)[],
  ): EncodedRows;
  /**
   * Optional: rows of `columns` columns that insert() writes in one statement at most. A write of one table
   * within it needs no transaction (a statement is atomic by itself): it saves the BEGIN and COMMIT round
   * trips. Without it every write of more than one row runs in `transaction()`.
   */
  oneStatementRows?(columns: number): number;
  /** Inserts what encodeRows() made (a client with encodeRows has it). */
  insertEncoded?(tx: SqlRunner, table: string, columns: string[], rows: EncodedRows): Promise<void>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Whether an error means our cached idea of the table is out of date (dropped table, altered column). */
  isStaleSchema(error: unknown): boolean;
  close(): Promise<void>;
}

/** The message of anything thrown, without a stack. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
