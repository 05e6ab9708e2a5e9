/**
 * Batch files for object storage, as bulker writes them: `ndjson` (events as they are), `ndjson_flat`
 * and `csv` (flattened with the warehouse core's flattenObject: `a_b_c` keys, arrays kept as JSON),
 * gzip-compressed or not. A CSV's header is every column of the batch, sorted; cells are quoted when
 * they need it (RFC 4180).
 */
import { sanitizeName } from "../warehouse/identifiers.ts";
import { TABLE_NAME_PARAMETER } from "../warehouse/layout.ts";
import { eventMapper } from "../warehouse/shapes.ts";

export type FileFormat = "ndjson" | "ndjson_flat" | "csv";

const TABLE_KEYS = [TABLE_NAME_PARAMETER, "$table"];
const enc = new TextEncoder();

/** The table (file group) an event goes to: `$table` / `JITSU_TABLE_NAME` from a function, else `events`. */
export function tableOf(event: Record<string, unknown>): string {
  for (const k of TABLE_KEYS) {
    const t = event[k];
    if (typeof t === "string" && t) return sanitizeName(t, 255);
  }
  return "events";
}

function withoutTableKeys(event: Record<string, unknown>): Record<string, unknown> {
  if (!TABLE_KEYS.some((k) => k in event)) return event;
  const out = { ...event };
  for (const k of TABLE_KEYS) delete out[k];
  return out;
}

// Numbers and booleans never need quoting; strings only when they hold a quote, comma or line break.
const NEEDS_QUOTES = /[",\r\n]/;

function csvCell(x: unknown): string {
  if (x === undefined || x === null) return "";
  if (typeof x === "number" || typeof x === "boolean") return String(x);
  const s = typeof x === "string" ? x : JSON.stringify(x);
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The queue's JSON texts that can stand for ndjson rows: row i's text when the row is event i itself
 * (it had no table key to remove). Undefined when none can.
 */
export function rowTexts(
  events: Record<string, unknown>[],
  rows: Record<string, unknown>[],
  text: ((i: number) => string | undefined) | undefined,
): (string | undefined)[] | undefined {
  if (!text) return undefined;
  const out = events.map((e, i) => rows[i] === e ? text(i) : undefined);
  return out.some((t) => t !== undefined) ? out : undefined;
}

/** Longest column name of a flattened file (S3 has no identifier limit; bulker's files keep 255). */
const MAX_NAME = 255;

/**
 * The rows of a file as they will be written (what Live Events show as mappedData). Flattened rows are
 * the warehouse core's passthrough layout (the event without its table keys, through flattenObject),
 * mapped by its compiled per-shape mappers (warehouse/shapes.ts): a row is then one object literal
 * instead of a walk of the event, and those rows serialise faster too (their keys are in-object).
 */
export function fileRows(events: Record<string, unknown>[], format: FileFormat): Record<string, unknown>[] {
  if (format === "ndjson") return events.map(withoutTableKeys);
  const mapper = eventMapper("passthrough", MAX_NAME);
  return events.map((e) => mapper.map(e)[0].row);
}

/** Characters per piece of a file's text: small enough for V8's ordinary heap pages. */
const PIECE_CHARS = 64 * 1024;

/** Joins lines into pieces of about PIECE_CHARS characters, each line followed by `eol`. */
function pieces(lines: Iterable<string>, eol: string): string[] {
  const out: string[] = [];
  let group: string[] = [];
  let chars = 0;
  for (const line of lines) {
    group.push(line);
    chars += line.length + eol.length;
    if (chars >= PIECE_CHARS) {
      out.push(group.join(eol) + eol);
      group = [];
      chars = 0;
    }
  }
  if (group.length) out.push(group.join(eol) + eol);
  return out;
}

function* ndjsonLines(rows: Record<string, unknown>[], texts?: readonly (string | undefined)[]) {
  for (let i = 0; i < rows.length; i++) yield texts?.[i] ?? JSON.stringify(rows[i]);
}

function* csvLines(rows: Record<string, unknown>[]) {
  const columns = new Set<string>();
  for (const r of rows) for (const k in r) columns.add(k);
  const header = [...columns].sort();
  yield header.map(csvCell).join(",");
  // A line is its cells joined: appending cell by cell measured slower (the pieces are joined again).
  for (const r of rows) yield header.map((h) => csvCell(r[h])).join(",");
}

/**
 * Encodes rows as a file's text, in pieces of about 64k characters (their concatenation is the file).
 * One text of 6 MB is a fresh allocation outside V8's ordinary heap pages, and fresh memory is dear
 * (allocating and filling 6.3 MB took 18-24 ms of CPU on our machine, encoding into memory already
 * touched 0.3-3.8 ms); pieces reuse the heap's pages. `texts[i]`, when given, is row i's JSON text
 * already (the queue's text of an unchanged event): an ndjson line then costs no serialisation.
 */
export function filePieces(
  rows: Record<string, unknown>[],
  format: FileFormat,
  texts?: readonly (string | undefined)[],
): string[] {
  if (format === "csv") return pieces(csvLines(rows), "\r\n");
  return pieces(ndjsonLines(rows, format === "ndjson" ? texts : undefined), "\n");
}

/** A file's whole text (tests and the bench; the driver works on pieces). */
export function encodeFile(
  rows: Record<string, unknown>[],
  format: FileFormat,
  texts?: readonly (string | undefined)[],
): string {
  return filePieces(rows, format, texts).join("");
}

/** Writes the pieces as UTF-8 from the start of `buf`, growing it when they do not fit. */
function encodePieces(parts: readonly string[], buf: Uint8Array): { buf: Uint8Array; n: number } {
  let n = 0;
  for (let p of parts) {
    for (;;) {
      const { read, written } = enc.encodeInto(p, buf.subarray(n));
      n += written;
      if (read === p.length) break;
      p = p.slice(read);
      const bigger = new Uint8Array(Math.max(buf.length * 2, n + p.length * 3));
      bigger.set(buf.subarray(0, n));
      buf = bigger;
    }
  }
  return { buf, n };
}

// Buffers that hold a file's text while it is compressed, kept for the next file: filling a fresh one
// cost more than encoding into it (see filePieces). At most two, of up to 16 MiB each.
const scratch: Uint8Array[] = [];
const SCRATCH_MAX = 16 << 20;

/**
 * The file's bytes, gzip-compressed when asked, with zlib level 1: on a 10,000-event ndjson file (6.3 MB)
 * it took 3-9 ms against 25-65 ms for CompressionStream (level 6), for a file 1.3 times the size.
 * Deno runs node:zlib's asynchronous gzip on the event loop's thread (a 400 ms busy loop delays its
 * callback by about the compression's own time), so it overlaps nothing; it is loaded on first use.
 * An uncompressed file is encoded straight into the body that is sent.
 */
export async function fileBytes(
  parts: readonly string[],
  compression: "gzip" | "none",
): Promise<Uint8Array<ArrayBuffer>> {
  let chars = 0;
  for (const p of parts) chars += p.length;
  if (compression === "none") {
    const { buf, n } = encodePieces(parts, new Uint8Array(chars));
    return (n === buf.length ? buf : buf.slice(0, n)) as Uint8Array<ArrayBuffer>;
  }
  const taken = scratch.pop();
  const { buf, n } = encodePieces(parts, taken && taken.length >= chars ? taken : new Uint8Array(chars));
  try {
    const { gzip } = await import("node:zlib");
    return await new Promise((resolve, reject) =>
      gzip(buf.subarray(0, n), { level: 1 }, (err, out) => err ? reject(err) : resolve(new Uint8Array(out)))
    );
  } finally {
    if (buf.length <= SCRATCH_MAX && scratch.length < 2) scratch.push(buf);
  }
}

/** `.ndjson`, `.csv.gz`, ... */
export function extension(format: FileFormat, compression: "gzip" | "none"): string {
  return `.${format === "csv" ? "csv" : "ndjson"}${compression === "gzip" ? ".gz" : ""}`;
}

/**
 * An object key that sorts by time and never collides: `<folder>/<table>/<UTC time to the
 * millisecond>_<random 64 bits>.<ext>`. The random part, not a per-process counter, is what keeps two
 * Sluice instances writing in the same millisecond apart.
 */
export function objectKey(
  opts: { folder: string; table: string; now: Date; format: FileFormat; compression: "gzip" | "none" },
): string {
  const stamp = opts.now.toISOString().replace(/[-:]/g, ""); // 20261207T031959.123Z
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const name = `${opts.table}/${stamp}_${rand}${extension(opts.format, opts.compression)}`;
  return opts.folder ? `${opts.folder}/${name}` : name;
}
