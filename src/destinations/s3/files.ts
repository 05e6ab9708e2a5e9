/**
 * Batch files for object storage, as bulker writes them: `ndjson` (events as they are), `ndjson_flat`
 * and `csv` (flattened with the warehouse core's flattenObject: `a_b_c` keys, arrays kept as JSON),
 * gzip-compressed or not. A CSV's header is every column of the batch, sorted; cells are quoted when
 * they need it (RFC 4180).
 */
import { flattenObject } from "../warehouse/flatten.ts";
import { sanitizeName } from "../warehouse/identifiers.ts";
import { TABLE_NAME_PARAMETER } from "../warehouse/layout.ts";

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

/** The rows of a file as they will be written (what Live Events show as mappedData). */
export function fileRows(events: Record<string, unknown>[], format: FileFormat): Record<string, unknown>[] {
  return events.map((e) => {
    const clean = withoutTableKeys(e);
    return format === "ndjson" ? clean : flattenObject(clean, { maxNameLength: 255 });
  });
}

/**
 * Encodes rows as one file's text. One JSON.stringify per row joined once measured faster than
 * building the text in pieces or encoding it chunk by chunk (bench/_s3.ts prints each step). `texts[i]`,
 * when given, is row i's JSON text already (the queue's text of an unchanged event): an ndjson line
 * then costs no serialisation.
 */
export function encodeFile(
  rows: Record<string, unknown>[],
  format: FileFormat,
  texts?: readonly (string | undefined)[],
): string {
  if (format !== "csv") {
    const lines = texts && format === "ndjson"
      ? rows.map((r, i) => texts[i] ?? JSON.stringify(r))
      : rows.map((r) => JSON.stringify(r));
    return lines.join("\n") + (rows.length ? "\n" : "");
  }
  const columns = new Set<string>();
  for (const r of rows) for (const k in r) columns.add(k);
  const header = [...columns].sort();
  const lines = new Array<string>(rows.length + 1);
  lines[0] = header.map(csvCell).join(",");
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    let line = csvCell(r[header[0]]);
    for (let c = 1; c < header.length; c++) line += "," + csvCell(r[header[c]]);
    lines[i + 1] = line;
  }
  return lines.join("\r\n") + "\r\n";
}

/**
 * The file's bytes, gzip-compressed when asked, with zlib level 1: on a 10,000-event ndjson file (6.3 MB)
 * it took 3-9 ms against 25-65 ms for CompressionStream (level 6), for a file 1.3 times the size.
 * Deno runs node:zlib's asynchronous gzip on the event loop's thread (a 400 ms busy loop delays its
 * callback by about the compression's own time), so it overlaps nothing; it is loaded on first use.
 */
export async function fileBytes(
  text: string,
  compression: "gzip" | "none",
): Promise<Uint8Array<ArrayBuffer>> {
  const raw = enc.encode(text);
  if (compression === "none") return raw;
  const { gzip } = await import("node:zlib");
  return await new Promise((resolve, reject) =>
    gzip(raw, { level: 1 }, (err, out) => err ? reject(err) : resolve(new Uint8Array(out)))
  );
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
