/**
 * Reading an ingest body: JSON (or text/plain, what `navigator.sendBeacon` sends), optionally gzip,
 * with a size cap enforced while reading (a declared Content-Length is not trusted, and a gzip bomb
 * stops at the cap), nested at most MAX_JSON_DEPTH levels. Errors are typed so the endpoint answers 413,
 * 415 or 400 with a clear message.
 */

import { nestsDeeperThan, tooDeepMessage } from "../http/json_depth.ts";

/** A request body the endpoint refuses, with the status to answer. */
export class IngestBodyError extends Error {
  override name = "IngestBodyError";
  constructor(readonly status: 400 | 413 | 415, message: string) {
    super(message);
  }
}

/** Reads and parses the body; `limit` applies to the decompressed bytes. */
export async function readIngestBody(req: Request, limit: number): Promise<unknown> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type && !type.endsWith("/json") && !type.endsWith("+json") && type !== "text/plain") {
    throw new IngestBodyError(415, `Unsupported content type "${type}": send application/json or text/plain`);
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
  if (encoding !== "" && encoding !== "identity" && encoding !== "gzip") {
    throw new IngestBodyError(415, `Unsupported content encoding "${encoding}": send gzip or none`);
  }
  if (!encoding.includes("gzip") && declared > limit) throw tooLarge(declared, limit);
  // The common case, a plain body with a Content-Length within the limit: the HTTP server reads exactly
  // that many bytes, so one native read is safe (and much cheaper than iterating the stream). `req.body`
  // is not touched before it: reading that getter makes Deno wrap the body in a ReadableStream, and
  // text() then collects it chunk by chunk in JavaScript (~20 µs of CPU a request in bench/ingest.ts,
  // a fifth of a single event's cost).
  if (encoding !== "gzip" && req.headers.has("content-length")) return parseJson(await req.text());
  if (!req.body) throw new IngestBodyError(400, "The request has no body: send the event as JSON");
  let stream: ReadableStream<Uint8Array> = req.body;
  if (encoding === "gzip") {
    stream = stream.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > limit) throw tooLarge(size, limit);
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof IngestBodyError) throw e;
    throw new IngestBodyError(400, `Cannot read the body: ${(e as Error).message}`);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return parseJson(new TextDecoder().decode(bytes));
}

// A NUL or an unpaired surrogate can only reach a decoded body as a \u escape (the UTF-8 decoding of the
// body replaced invalid bytes already, and JSON forbids raw control characters in strings). A false
// positive (an escaped backslash followed by "u0000") only costs the full walk.
const NEEDS_CLEANING = /\\u(?:0000|[dD][89a-fA-F])/;

function parseJson(text: string): unknown {
  if (!/\S/.test(text)) throw new IngestBodyError(400, "The request body is empty: send the event as JSON");
  // Before parsing: a deeper event would overflow the stack of every recursive walk after this point
  // (storable below, structuredClone in the pipeline) and could never be delivered.
  if (nestsDeeperThan(text)) throw new IngestBodyError(400, tooDeepMessage());
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new IngestBodyError(400, `Malformed JSON: ${describeJsonError(text, e as Error)}`);
  }
  // Rebuilding every event to clean strings that need no cleaning was ~4% of ingest's CPU.
  return NEEDS_CLEANING.test(text) ? storable(body) : body;
}

/**
 * PostgreSQL's jsonb cannot hold NUL characters or unpaired surrogates (both legal in JSON text), and one
 * such string would fail the whole grouped insert. Events are kept, with those characters replaced by
 * U+FFFD as any UTF-8 decoder would, in keys and values alike.
 */
export function storable(value: unknown): unknown {
  if (typeof value === "string") return cleanString(value);
  if (Array.isArray(value)) return value.map(storable);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) out[cleanString(k)] = storable(x);
    return out;
  }
  return value;
}

function cleanString(s: string): string {
  return s.isWellFormed() && !s.includes("\0") ? s : s.toWellFormed().replaceAll("\0", "\uFFFD");
}

function tooLarge(size: number, limit: number) {
  return new IngestBodyError(413, `The request body is larger than ${limit} bytes (got at least ${size})`);
}

/** V8's message plus the line and column of the first error, and the text around it. */
export function describeJsonError(text: string, e: Error): string {
  const base = e.message.replace(/\s*\(line \d+ column \d+\)/, "");
  const pos = jsonErrorOffset(text);
  if (pos === null) return base;
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  if (pos >= text.length) return `${base} (the body ends too early, at line ${line}, column ${column})`;
  const near = text.slice(Math.max(0, pos - 15), pos + 15).replace(/\s+/g, " ");
  return `${base} (line ${line}, column ${column}, near ${JSON.stringify(near)})`;
}

/**
 * Offset of the first syntax error in `text` (V8's messages do not always carry one). A small
 * recursive-descent scan of the JSON grammar (RFC 8259); null when the text is valid.
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const fail = (at: number): never => {
    throw at;
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) if (text[i++] !== ch) fail(i - 1);
  };
  const string = () => {
    i++; // opening quote
    while (true) {
      if (i >= text.length) fail(i);
      const ch = text[i];
      if (ch === '"') return void i++;
      if (ch === "\\") {
        const esc = text[i + 1];
        if (esc === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i);
          i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i += 2;
        else fail(i);
      } else if (ch < " ") fail(i);
      else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "" || m[0] === "-") fail(i);
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail(i);
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      while (true) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ":") fail(i);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail(i);
      }
    }
    if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      while (true) {
        value(depth + 1);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail(i);
      }
    }
    if (ch === '"') return string();
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    if (ch === "-" || (ch >= "0" && ch <= "9")) return number();
    fail(i);
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : null;
  } catch (at) {
    if (typeof at === "number") return Math.min(at, text.length);
    throw at;
  }
}
