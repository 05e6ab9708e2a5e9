/**
 * Rows as `INSERT ... FORMAT JSONEachRow` text, one JSON object a line, written straight from the
 * flattened rows. A row of a compiled shape (src/destinations/warehouse/shapes.ts) goes through a
 * function generated once per shape and set of column types, which builds the object of its encoded
 * values in one literal (often the row itself: a string into a String column, a number into a number
 * column), and one native JSON.stringify writes the line. Other rows are written value by value.
 * Either way a line holds what `encode()` gives for each value, and leaves out NULLs.
 *
 * A large part is encoded while it is sent: the request body is a stream whose chunks are written
 * as the connection takes them, so ClickHouse parses the first rows while the next are encoded.
 */
import type { Cell, EncodedRows } from "../warehouse/client.ts";
import { UNMAPPED_COLUMN } from "../warehouse/schema.ts";
import type { ExistingType, FlatValue, RowShape } from "../warehouse/types.ts";
import { UnmappedValues, type WrittenRow } from "../warehouse/unmapped_values.ts";

/** Bytes a streamed body hands over at a time. */
const CHUNK_BYTES = 256 * 1024;
/** Parts of at most this many rows are encoded whole before they are sent (stream mode, small batches). */
const STREAM_FROM_ROWS = 2000;

const utf8 = new TextEncoder();
/** Text is gathered up to this many UTF-16 units before it is encoded (fewer, larger encodes). */
const PENDING_CHARS = 65536;

/**
 * UTF-8 bytes grown as text is appended. The lines of a batch are encoded as they come instead of
 * being held as strings until the body is complete (and then encoded once more by fetch).
 */
export class Utf8Buffer {
  #buf = new Uint8Array(1 << 16);
  #used = 0;
  #pending = "";

  get length(): number {
    this.#flush();
    return this.#used;
  }

  /** At least the bytes so far (text not yet encoded counts one byte a unit). */
  get size(): number {
    return this.#used + this.#pending.length;
  }

  append(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= PENDING_CHARS) this.#flush();
  }

  /** The bytes so far; the buffer starts again empty. */
  take(): Uint8Array<ArrayBuffer> {
    this.#flush();
    const out = this.#buf.subarray(0, this.#used);
    this.#buf = new Uint8Array(1 << 16);
    this.#used = 0;
    return out;
  }

  #flush(): void {
    const text = this.#pending;
    if (text === "") return;
    this.#pending = "";
    const need = this.#used + text.length * 3; // at most 3 bytes per UTF-16 unit
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#used));
      this.#buf = grown;
    }
    this.#used += utf8.encodeInto(text, this.#buf.subarray(this.#used)).written;
  }
}

type Encoder = (row: WrittenRow) => Record<string, unknown>;

/** Per client: encoders by shape and column types; `null` when the row is its own encoding. */
export class JsonRowsWriter {
  #encoders = new WeakMap<RowShape, Map<string, Encoder | null>>();
  #codegen = true;

  constructor(
    readonly encode: (value: FlatValue, type: ExistingType) => Cell,
    readonly options: {
      /** DateTime64 columns take the ISO text as it is; DateTime ones need whole seconds. */
      isoTimestamps: boolean;
      /** `2026-01-01 00:00:00` for a DateTime column. */
      wholeSeconds: (value: string) => string;
      rowsPerInsert: number;
    },
  ) {}

  /** `rows` for `columns` (of `types`, aligned); `shapes[i]` is the shape of `rows[i]`, if any. */
  write(
    columns: string[],
    types: ExistingType[],
    rows: WrittenRow[],
    shapes: (RowShape | undefined)[],
  ): JsonRows {
    return new JsonRows(this, columns, types, rows, shapes, this.options.rowsPerInsert);
  }

  /** Appends rows from `cursor.next` until `until` bytes are buffered or the part ends at `end`. */
  fill(rows: JsonRows, cursor: Cursor, end: number, out: Utf8Buffer, until: number): void {
    const { rows: flat, shapes, columns, types } = rows;
    for (let r = cursor.next; r < end; r++) {
      const row = flat[r];
      const shape = shapes[r];
      let line: string;
      if (shape !== undefined) {
        if (shape !== cursor.shape) {
          cursor.shape = shape;
          cursor.encoder = this.#encoder(shape, rows.typeOf);
        }
        const encoder = cursor.encoder;
        line = encoder === null
          ? JSON.stringify(row)
          : encoder === undefined
          ? this.#line(row, columns, types, rows.quoted)
          : JSON.stringify(encoder(row));
      } else {
        line = this.#line(row, columns, types, rows.quoted);
      }
      out.append(r === cursor.start ? line : "\n" + line);
      if (out.size >= until) {
        cursor.next = r + 1;
        return;
      }
    }
    cursor.next = end;
  }

  /** A row value by value, in column order: what encode() gives for each, NULLs left out. */
  #line(row: WrittenRow, columns: string[], types: ExistingType[], quoted: string[]): string {
    let line = "";
    for (let c = 0; c < columns.length; c++) {
      const x = row[columns[c]];
      if (x === undefined) continue;
      // The core's own object; any other value of `_unmapped_data` is an event's and encoded as such.
      const cell = columns[c] === UNMAPPED_COLUMN && x instanceof UnmappedValues
        ? x.json()
        : this.encode(x as FlatValue, types[c]);
      if (cell === null) continue;
      line += (line === "" ? "{" : ",") + quoted[c] + JSON.stringify(cell);
    }
    return line === "" ? "{}" : line + "}";
  }

  /** The encoder of a shape for the current column types (undefined: write it value by value). */
  #encoder(shape: RowShape, typeOf: Map<string, ExistingType>): Encoder | null | undefined {
    if (!this.#codegen) return undefined;
    const types = shape.columns.map((c) => typeOf.get(c));
    if (types.some((t) => t === undefined)) return undefined;
    const key = types.join();
    let byTypes = this.#encoders.get(shape);
    if (byTypes === undefined) this.#encoders.set(shape, byTypes = new Map());
    if (byTypes.has(key)) return byTypes.get(key)!;
    let encoder: Encoder | null | undefined;
    try {
      encoder = this.#compile(shape, types as ExistingType[]);
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      this.#codegen = false; // code generation refused by the runtime
      return undefined;
    }
    if (encoder !== undefined) byTypes.set(key, encoder);
    return encoder;
  }

  #compile(shape: RowShape, types: ExistingType[]): Encoder | null | undefined {
    let identity = true;
    const fields: string[] = [];
    for (let j = 0; j < shape.columns.length; j++) {
      const col = JSON.stringify(shape.columns[j]);
      const v = `r[${col}]`;
      const kind = shape.kinds[j];
      const type = types[j];
      let value: string;
      if (type === "bigint" || type === "double") {
        if (kind !== "n") return undefined;
        value = v;
      } else if (type === "boolean") {
        if (kind !== "b") return undefined;
        value = `(${v}?1:0)`;
      } else if (type === "timestamp") {
        if (kind !== "s") return undefined;
        value = this.options.isoTimestamps ? v : `W(${v})`;
      } else if (kind === "s") {
        value = v; // text, JSON and foreign columns take a string as it is
      } else if (kind === "a") {
        value = `J(${v})`;
      } else {
        value = `String(${v})`;
      }
      if (value !== v) identity = false;
      fields.push(`${col}:${value}`);
    }
    if (identity) return null;
    const make = new Function(
      "W",
      "J",
      `"use strict";return function encodeShape(r){return {${fields.join(",")}};};`,
    );
    return make(this.options.wholeSeconds, JSON.stringify) as Encoder;
  }
}

/** Where the encoding of one part stands. */
interface Cursor {
  start: number;
  next: number;
  shape: RowShape | undefined;
  encoder: Encoder | null | undefined;
}

/**
 * A batch's rows as JSONEachRow text, in parts of at most `rowsPerInsert` rows (one INSERT each),
 * encoded when a part is sent. `bytes` counts the parts encoded so far.
 */
export class JsonRows implements EncodedRows {
  readonly count: number;
  readonly parts: number;
  readonly typeOf = new Map<string, ExistingType>();
  readonly quoted: string[];
  #bytes: number[];

  constructor(
    readonly writer: JsonRowsWriter,
    readonly columns: string[],
    readonly types: ExistingType[],
    readonly rows: WrittenRow[],
    readonly shapes: (RowShape | undefined)[],
    readonly rowsPerInsert: number,
  ) {
    this.count = rows.length;
    this.parts = Math.ceil(rows.length / rowsPerInsert);
    columns.forEach((c, i) => this.typeOf.set(c, types[i]));
    this.quoted = columns.map((c) => JSON.stringify(c) + ":");
    this.#bytes = new Array(this.parts).fill(0);
  }

  get bytes(): number {
    return this.#bytes.reduce((a, b) => a + b, 0);
  }

  #range(part: number): [number, number] {
    const start = part * this.rowsPerInsert;
    return [start, Math.min(this.count, start + this.rowsPerInsert)];
  }

  /** Part `part` encoded whole. */
  body(part: number): Uint8Array<ArrayBuffer> {
    const [start, end] = this.#range(part);
    const out = new Utf8Buffer();
    this.writer.fill(this, { start, next: start, shape: undefined, encoder: undefined }, end, out, Infinity);
    const bytes = out.take();
    this.#bytes[part] = bytes.length;
    return bytes;
  }

  /** Part `part` as a request body: whole when small, else a stream encoded as it is read. */
  data(part: number): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array<ArrayBuffer>> {
    const [start, end] = this.#range(part);
    if (end - start <= STREAM_FROM_ROWS) return this.body(part);
    const cursor: Cursor = { start, next: start, shape: undefined, encoder: undefined };
    const out = new Utf8Buffer();
    let sent = 0;
    // Each chunk but the last holds back its final byte (the `}` of its last row) for the next one:
    // a body cut short (an abort, a lost connection) then ends inside a row, which ClickHouse refuses
    // whole, instead of at a row boundary, which it would take as the end of a shorter insert.
    let held: Uint8Array<ArrayBuffer> | null = null;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: (controller) => {
        this.writer.fill(this, cursor, end, out, CHUNK_BYTES);
        let chunk = out.take();
        sent += chunk.length;
        if (held) {
          const joined = new Uint8Array(held.length + chunk.length);
          joined.set(held);
          joined.set(chunk, held.length);
          chunk = joined;
          held = null;
        }
        const last = cursor.next >= end;
        if (!last && chunk.length > 1) {
          held = chunk.slice(chunk.length - 1);
          chunk = chunk.subarray(0, chunk.length - 1);
        }
        if (chunk.length) controller.enqueue(chunk);
        if (last) {
          this.#bytes[part] = sent;
          controller.close();
        }
      },
    });
  }
}
