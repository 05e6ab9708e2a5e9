/**
 * The request side of src/net/http1_client.ts: what a request is, the checks of its header lines, and its
 * bytes (head and body in one buffer, the head built once per header list).
 */
import type { Http1Connection } from "./http1_response.ts";

/** One request. */
export interface Http1Request {
  method: string;
  url: URL;
  /** The host's addresses as checked by url_guard.ts, tried in order until one connects. */
  addresses: readonly string[];
  /** Header lines, each checked by {@linkcode headerLine} (the client adds host and content-length). */
  headers: readonly (readonly [string, string])[];
  /**
   * The body: bytes, or text sent as UTF-8 (encoded straight into the connection's write buffer, where bytes
   * would be a buffer of their own per request).
   */
  body?: Uint8Array | string;
  /** The whole request, connecting included, ends within this time or fails with Http1TimeoutError. */
  timeoutMs: number;
  /** Closes the request's connection and fails it (server shutdown). */
  signal?: AbortSignal;
  /** Bytes of the answer's body kept at most; the rest is not read (and the connection is closed). */
  maxBodyBytes: number;
}

/** A header name or value that cannot be sent; the message names the header, never its value. */
export class InvalidHeaderError extends Error {
  override name = "InvalidHeaderError";
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// deno-lint-ignore no-control-regex
const BAD_VALUE = /[\u0000\r\n]/;
/** Headers that frame the message: the client writes them itself. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te"]);
const encoder = new TextEncoder();

/**
 * A header as the client sends it (value trimmed), or null for a framing header the client writes itself;
 * throws InvalidHeaderError for a name or value HTTP cannot carry.
 */
export function headerLine(name: string, value: string): [string, string] | null {
  const v = value.trim();
  if (!TOKEN.test(name) || BAD_VALUE.test(v)) {
    throw new InvalidHeaderError(`header "${name.slice(0, 100)}" has an invalid name or value`);
  }
  return FRAMING.has(name.toLowerCase()) ? null : [name, v];
}

/** A request head without its content-length line, as bytes, for requests that share it. */
interface HeadPrefix {
  method: string;
  url: URL;
  bytes: Uint8Array;
}

/**
 * Head prefixes by header list: a caller that sends many requests with one header list object, method and
 * URL object (the webhook driver's call) has the head built and encoded once, not per request.
 */
const prefixes = new WeakMap<readonly (readonly [string, string])[], HeadPrefix>();

/** The head up to (not including) its content-length line and the empty line. */
export function headPrefix(req: Http1Request): Uint8Array {
  const cached = prefixes.get(req.headers);
  if (cached && cached.method === req.method && cached.url === req.url) return cached.bytes;
  const u = req.url;
  if (!TOKEN.test(req.method)) throw new TypeError(`"${req.method.slice(0, 20)}" is not an HTTP method`);
  let head = `${req.method} ${u.pathname || "/"}${u.search} HTTP/1.1\r\n`;
  let host = true;
  let agent = false;
  let accept = false;
  for (const [name, value] of req.headers) {
    const lower = name.toLowerCase();
    if (lower === "host") host = false;
    else if (lower === "user-agent") agent = true;
    else if (lower === "accept") accept = true;
    head += `${name}: ${value}\r\n`;
  }
  if (host) head += `host: ${u.host}\r\n`;
  if (!agent) head += "user-agent: Sluice\r\n";
  if (!accept) head += "accept: */*\r\n";
  const bytes = encoder.encode(head);
  prefixes.set(req.headers, { method: req.method, url: req.url, bytes });
  return bytes;
}

/** Room for `content-length: <up to 16 digits>` and the empty line. */
const MAX_TAIL = 40;
/** A connection keeps a write buffer of at most this many bytes; a larger request gets one of its own. */
const MAX_KEPT_WRITE_BUFFER = 64 * 1024;

/**
 * The bytes of a request: head and body in one buffer, written at once. The buffer is the connection's own,
 * reused for each of its requests (one at a time), unless the request is too large for it to keep: a request
 * then allocates nothing but its strings. The body is encoded (or copied) first, after room for the head,
 * and the head put right before it once its content-length is known.
 */
export function encodeRequest(req: Http1Request, c: Http1Connection): Uint8Array {
  const prefix = headPrefix(req);
  if (req.body === undefined && (req.method === "GET" || req.method === "HEAD")) {
    const out = new Uint8Array(prefix.length + 2);
    out.set(prefix);
    out.set(CRLF, prefix.length);
    return out;
  }
  const room = prefix.length + MAX_TAIL;
  // Text is encoded in place only into a buffer the connection keeps (room for 3 bytes a character); a
  // larger one is encoded on its own first, so the request's buffer is its exact size.
  const body = typeof req.body === "string" && room + req.body.length * 3 > MAX_KEPT_WRITE_BUFFER
    ? encoder.encode(req.body)
    : req.body;
  const most = room + (body === undefined ? 0 : typeof body === "string" ? body.length * 3 : body.length);
  let buf = c.wbuf;
  if (buf === null || buf.length < most) {
    buf = new Uint8Array(most <= MAX_KEPT_WRITE_BUFFER ? Math.max(most, 4096) : most);
    if (buf.length <= MAX_KEPT_WRITE_BUFFER) c.wbuf = buf;
  }
  let n = 0;
  if (typeof body === "string") n = encoder.encodeInto(body, buf.subarray(room)).written;
  else if (body) {
    buf.set(body, room);
    n = body.length;
  }
  const tail = `content-length: ${n}\r\n\r\n`;
  // ASCII: one byte a character.
  const start = room - tail.length - prefix.length;
  buf.set(prefix, start);
  encoder.encodeInto(tail, buf.subarray(start + prefix.length, room));
  return buf.subarray(start, room + n);
}

const CRLF = encoder.encode("\r\n");
