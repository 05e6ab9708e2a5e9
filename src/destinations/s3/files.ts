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

function hasTableKey(event: Record<string, unknown>): boolean {
  return TABLE_NAME_PARAMETER in event || "$table" in event;
}

function withoutTableKeys(event: Record<string, unknown>): Record<string, unknown> {
  if (!hasTableKey(event)) return event;
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
  const out: (string | undefined)[] = new Array(events.length);
  let any = false;
  for (let i = 0; i < events.length; i++) {
    const t = rows[i] === events[i] ? text(i) : undefined;
    out[i] = t;
    if (t !== undefined) any = true;
  }
  return any ? out : undefined;
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
  // An event without table keys is its own row: when none has one, the events are the rows.
  if (format === "ndjson") return events.some(hasTableKey) ? events.map(withoutTableKeys) : events;
  const mapper = eventMapper("passthrough", MAX_NAME);
  return events.map((e) => mapper.map(e)[0].row);
}

function* ndjsonLines(rows: Record<string, unknown>[], texts?: readonly (string | undefined)[]) {
  for (let i = 0; i < rows.length; i++) yield texts?.[i] ?? JSON.stringify(rows[i]);
}

/** Whether every row has its text: the texts are then the lines as they are, read as an array. */
function allTexts(rows: unknown[], texts?: readonly (string | undefined)[]): texts is readonly string[] {
  if (!texts || texts.length !== rows.length) return false;
  for (let i = 0; i < texts.length; i++) if (texts[i] === undefined) return false;
  return true;
}

function* csvLines(rows: Record<string, unknown>[]) {
  const columns = new Set<string>();
  for (const r of rows) for (const k in r) columns.add(k);
  const header = [...columns].sort();
  yield header.map(csvCell).join(",");
  // A line is its cells joined: appending cell by cell, or a line function generated per row shape,
  // measured no faster.
  for (const r of rows) yield header.map((h) => csvCell(r[h])).join(",");
}

/** A file's text: its lines, each followed by `eol`. `lines` may be a generator: iterate it once. */
export interface FileText {
  lines: Iterable<string>;
  eol: "\n" | "\r\n";
}

/**
 * Rows as a file's lines, made as they are read: fileBytes() encodes each line as it comes, so the
 * file's text never exists as strings of its own. `texts[i]`, when given, is row i's JSON text already
 * (the queue's text of an unchanged event): an ndjson line then costs no serialisation.
 */
export function fileText(
  rows: Record<string, unknown>[],
  format: FileFormat,
  texts?: readonly (string | undefined)[],
): FileText {
  if (format === "csv") return { lines: csvLines(rows), eol: "\r\n" };
  if (format === "ndjson" && allTexts(rows, texts)) return { lines: texts, eol: "\n" };
  return { lines: ndjsonLines(rows, format === "ndjson" ? texts : undefined), eol: "\n" };
}

/** A file's whole text (tests and the bench; the driver encodes the lines as they come). */
export function encodeFile(
  rows: Record<string, unknown>[],
  format: FileFormat,
  texts?: readonly (string | undefined)[],
): string {
  const { lines, eol } = fileText(rows, format, texts);
  let out = "";
  for (const line of lines) out += line + eol;
  return out;
}

/**
 * Writes the lines as UTF-8 from the start of `buf`, each followed by its line break, growing `buf`
 * when a line might not fit (a UTF-16 unit is at most 3 bytes of UTF-8).
 */
function encodeLines({ lines, eol }: FileText, buf: Uint8Array): { buf: Uint8Array; n: number } {
  const crlf = eol === "\r\n";
  let n = 0;
  for (const line of lines) {
    const need = line.length * 3 + 2;
    if (buf.length - n < need) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, n + need));
      bigger.set(buf.subarray(0, n));
      buf = bigger;
    }
    n += enc.encodeInto(line, buf.subarray(n)).written;
    if (crlf) buf[n++] = 13;
    buf[n++] = 10;
  }
  return { buf, n };
}

// Buffers that hold a file's UTF-8 while it is compressed or copied out, kept for the next file. At
// most two, of up to 16 MiB each; a first one starts at 1 MiB and doubles as a file needs.
const scratch: Uint8Array[] = [];
const SCRATCH_MAX = 16 << 20;
const SCRATCH_FIRST = 1 << 20;

let zlib: typeof import("node:zlib") | undefined;
const GZIP_CHUNK_MIN = 16 << 10;

/**
 * The file's bytes, gzip-compressed when asked, with zlib level 1: on a 10,000-event ndjson file (6.3 MB)
 * it took 3-4 ms against 22 ms for CompressionStream (level 6), for a file 1.7 times the size
 * (docs/performance.md has the levels in between, and the zlib options and other deflate
 * implementations that were no faster). Each line is encoded into a reused buffer as it is made:
 * building the text first, even in 64k-character pieces, left megabytes of live strings for the young
 * generation's collections to copy (the default file's median CPU 13 ms that way, 6 ms this way, fresh
 * events each round). The compression is gzipSync on that buffer: Deno runs node:zlib's asynchronous
 * gzip on the event loop's thread too, so it overlapped nothing, and its stream cost more CPU (its
 * output chunks are passed through events and joined, then copied). node:zlib is loaded on first use;
 * the result is handed over without a copy.
 */
export async function fileBytes(
  text: FileText,
  compression: "gzip" | "none",
): Promise<Uint8Array<ArrayBuffer>> {
  const z = compression === "gzip" ? (zlib ??= await import("node:zlib")) : undefined;
  const { buf, n } = encodeLines(text, scratch.pop() ?? new Uint8Array(SCRATCH_FIRST));
  try {
    if (!z) return buf.slice(0, n) as Uint8Array<ArrayBuffer>;
    // Output chunks of an eighth of the text: most files come out in one, which is then handed over
    // as it is (16 KiB chunks were joined at the end: 0.2-0.4 ms more for the default file).
    const out = z.gzipSync(buf.subarray(0, n), { level: 1, chunkSize: Math.max(GZIP_CHUNK_MIN, n >> 3) });
    return new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.length);
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
