/**
 * The per-table steps of a write between mapping and the insert: the column types a table's rows ask
 * for, and the rows encoded against the table's columns (values that fit no column moved to
 * `_unmapped_data`, resends inside the batch collapsed, cells or the client's own payload built).
 */
import type { Cell, EncodedRows, WarehouseClient } from "./client.ts";
import { fits, inferType, widen } from "./column_types.ts";
import { type Columns, UNMAPPED_COLUMN } from "./schema.ts";
import type { ColumnType, FlatRow, FlatValue, RowShape, TableRepresentation } from "./types.ts";
import { UnmappedValues, type WrittenRow } from "./unmapped_values.ts";

/** A table's rows of one write: each row, the input event it came from, and its compiled shape. */
export interface Group {
  events: number[];
  rows: FlatRow[];
  shapes: (RowShape | undefined)[];
}

/** A table's rows, encoded and ready to insert. */
export interface Prepared {
  table: string;
  columns: string[];
  /** Rows to insert (after resends inside the batch collapsed). */
  count: number;
  /** The rows as cells aligned with `columns`, for clients without encodeRows(). */
  cells: Cell[][];
  /** The rows as the client's own payload, for clients with encodeRows(). */
  payload?: EncodedRows;
  /** Size of the encoded cells (what `bulker_batch.processedBytes` reports; else `payload.bytes`). */
  bytes: number;
  /** The row each of the group's rows ended up as (after values moved to `_unmapped_data`). */
  written: FlatRow[];
  /** Rows of the group left out, by index, and why (a key value that fits no key column). */
  rejected?: Map<number, string>;
  group: Group;
  representation: TableRepresentation;
}

/**
 * Per column, the widest type the rows' values ask for, in order of first appearance. Rows of a
 * compiled shape are typed by position: no key walk, and a column already `text` is skipped.
 */
export function neededTypes(group: Group): Map<string, ColumnType> {
  const needed = new Map<string, ColumnType | null>();
  const shapes = new Map<RowShape, (ColumnType | undefined)[]>();
  let lastShape: RowShape | undefined;
  let types: (ColumnType | undefined)[] = [];
  const { rows, shapes: rowShapes } = group;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const shape = rowShapes[i];
    if (shape === undefined) {
      for (const k in row) {
        const prev = needed.get(k);
        if (prev === "text") continue; // widens no further, whatever the value
        const t = inferType(row[k]);
        if (prev !== t) needed.set(k, prev ? widen(prev, t) : t);
      }
      continue;
    }
    if (shape !== lastShape) {
      lastShape = shape;
      let known = shapes.get(shape);
      if (known === undefined) {
        known = shape.kinds.map((k) => (k === "a" ? "json" : k === "b" ? "boolean" : undefined));
        shapes.set(shape, known);
        // Keeps the columns' order of first appearance; the types are folded in below.
        for (const c of shape.columns) if (!needed.has(c)) needed.set(c, null);
      }
      types = known;
    }
    const { columns, kinds } = shape;
    for (let j = 0; j < kinds.length; j++) {
      const kind = kinds[j];
      if (kind === "s") {
        const prev = types[j];
        if (prev === "text") continue;
        const t = inferType(row[columns[j]]);
        if (prev !== t) types[j] = prev ? widen(prev, t) : t;
      } else if (kind === "n") {
        const prev = types[j];
        if (prev === "double") continue;
        const t = Number.isSafeInteger(row[columns[j]]) ? "bigint" : "double";
        if (prev !== t) types[j] = prev ? widen(prev, t) : t;
      }
    }
  }
  for (const [shape, known] of shapes) {
    shape.columns.forEach((c, j) => {
      const prev = needed.get(c);
      const t = known[j]!;
      if (prev !== t) needed.set(c, prev ? widen(prev, t) : t);
    });
  }
  return needed as Map<string, ColumnType>;
}

/** Encodes a table's rows against its columns `cols` (after evolution for `needed`). */
export function encodeTable(
  client: WarehouseClient,
  options: { deduplicate: boolean; primaryKey: string[] },
  table: string,
  group: Group,
  cols: Columns,
  needed: Map<string, ColumnType>,
): Prepared {
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
  let written: WrittenRow[] = group.rows;
  let shapes = group.shapes;
  const keyColumns = options.deduplicate ? options.primaryKey : [];
  let rejected: Map<number, string> | undefined;
  for (let i = 0; unsure.size && i < group.rows.length; i++) {
    const row = group.rows[i];
    let allFit = true;
    for (const k in row) {
      if (!fitsColumn(k, row[k])) {
        allFit = false;
        break;
      }
    }
    if (allFit) continue; // the common case: no copy
    // A key value that fits no key column cannot move aside: the row would be stored without its key
    // (refused as NULL, or under ClickHouse's default key, where every such row replaces the last).
    const badKey = keyColumns.find((k) => !fitsColumn(k, row[k]));
    if (badKey !== undefined) {
      (rejected ??= new Map()).set(
        i,
        `key column "${badKey}" (${cols.get(badKey)}) cannot hold ${JSON.stringify(row[badKey])}`,
      );
      continue;
    }
    if (!moved) {
      moved = true;
      written = written.slice();
      shapes = shapes.slice();
    }
    const kept: WrittenRow = {};
    const unmapped: Record<string, FlatValue> = {};
    for (const k in row) {
      // The event's own value of that name (a property `_unmapped_data`) moves in with the others
      // rather than being overwritten by them (Jitsu's bulker overwrites it).
      if (k !== UNMAPPED_COLUMN && fitsColumn(k, row[k])) kept[k] = row[k];
      else unmapped[k] = row[k];
    }
    kept[UNMAPPED_COLUMN] = new UnmappedValues(unmapped);
    written[i] = kept;
    shapes[i] = undefined;
  }
  // Resends inside one batch: the last one wins (an upsert cannot touch a row twice per statement).
  let rows: WrittenRow[] = written;
  let rowShapes = shapes;
  let dropped = false;
  if (options.deduplicate) {
    const pk = options.primaryKey;
    const n = written.length;
    const keys: string[] = new Array(n);
    let order: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const row = written[i];
      keys[i] = pk.length === 1 ? String(row[pk[0]]) : JSON.stringify(pk.map((c) => row[c]));
      order[i] = i;
    }
    // Key order: two transactions upserting overlapping keys (a redelivery racing the original)
    // then lock rows in the same order and wait for each other instead of deadlocking. The sort is
    // stable, so of equal keys the last one sent ends its run and is the one kept.
    if (rejected) order = order.filter((i) => !rejected.has(i));
    order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    const m = order.length;
    let kept = 0;
    for (let j = 0; j < m; j++) {
      if (j + 1 < m && keys[order[j + 1]] === keys[order[j]]) continue;
      order[kept++] = order[j];
    }
    order.length = kept;
    dropped = kept < n; // rejected rows included
    rows = order.map((i) => written[i]);
    rowShapes = order.map((i) => shapes[i]);
  }
  // Every column the batch asked for appears in some row, unless rows were dropped or values moved.
  const columns = dropped || moved ? columnsOf(rows, rowShapes) : [...needed.keys()];
  const types = columns.map((c) => cols.get(c)!);
  let bytes = 0;
  let cells: Cell[][] = [];
  let payload: EncodedRows | undefined;
  if (client.encodeRows) {
    payload = client.encodeRows(columns, types, rows, rowShapes);
  } else {
    const ncol = columns.length;
    cells = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const line: Cell[] = new Array(ncol);
      for (let i = 0; i < ncol; i++) {
        const c = columns[i];
        const x = row[c];
        let cell: Cell;
        if (x === undefined) cell = null;
        // The core's own object; any other value of `_unmapped_data` is an event's and encoded as such.
        else if (c === UNMAPPED_COLUMN && x instanceof UnmappedValues) cell = x.json();
        else cell = client.encode(x as FlatValue, types[i]);
        bytes += typeof cell === "string" ? cell.length : 8;
        line[i] = cell;
      }
      cells[r] = line;
    }
  }
  const schema: Record<string, string> = {};
  for (const [name, t] of cols) {
    schema[name] = t === "foreign" ? "foreign" : client.sqlType(t, options.primaryKey.includes(name));
  }
  return {
    table,
    columns,
    count: rows.length,
    cells,
    ...(payload ? { payload } : {}),
    bytes,
    written: written.map(unwrapUnmapped),
    ...(rejected ? { rejected } : {}),
    group,
    representation: {
      name: table,
      schema,
      ...(options.deduplicate ? { primaryKeyFields: options.primaryKey } : {}),
    },
  };
}

/** The columns of `rows` in order of first appearance (a shape's columns are its rows' keys). */
function columnsOf(rows: WrittenRow[], shapes: (RowShape | undefined)[]): string[] {
  const out = new Set<string>();
  const seen = new Set<RowShape>();
  for (let i = 0; i < rows.length; i++) {
    const shape = shapes[i];
    if (shape === undefined) {
      for (const k of Object.keys(rows[i])) out.add(k);
    } else if (!seen.has(shape)) {
      seen.add(shape);
      for (const k of shape.columns) out.add(k);
    }
  }
  return [...out];
}

/** The row as Live Events show it: the core's own `_unmapped_data` as its JSON text. */
function unwrapUnmapped(row: WrittenRow): FlatRow {
  const x = row[UNMAPPED_COLUMN];
  if (!(x instanceof UnmappedValues)) return row as FlatRow;
  return { ...row, [UNMAPPED_COLUMN]: x.json() } as FlatRow;
}
