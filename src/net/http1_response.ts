/**
 * Reading HTTP/1.1 answers for src/net/http1_client.ts: the status line and headers, then the body framed
 * by Content-Length, chunked transfer coding, or the end of the connection (RFC 9112 §6.3), kept up to a
 * limit. Whether the connection can carry another request is part of the answer.
 */

/** A connection of the pool with its read buffer. */
export class Http1Connection {
  buf = new Uint8Array(4096);
  len = 0;
  /** Where requests are encoded (src/net/http1_client.ts), reused by each request of the connection. */
  wbuf: Uint8Array | null = null;
  idleSince = 0;
  closed = false;

  constructor(readonly conn: Deno.Conn, readonly origin: string, readonly address: string) {}

  /** Reads more bytes (growing the buffer when full); false at the end of the stream. */
  async fill(): Promise<boolean> {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const n = await this.conn.read(this.buf.subarray(this.len));
    if (n === null) return false;
    this.len += n;
    return true;
  }

  consume(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the other side
    }
  }
}

/** An answer: status, headers (names in lower case), and at most the requested bytes of body. */
export class Http1Response {
  readonly #head: string;
  #list: [string, string][] | null = null;

  /** `head`: the header lines after the status line, as received (parsed when first asked for). */
  constructor(
    readonly status: number,
    readonly statusText: string,
    head: string,
    readonly body: Uint8Array,
  ) {
    this.#head = head;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The header lines as [name in lower case, value] pairs, in order. */
  get headerList(): readonly [string, string][] {
    if (this.#list === null) {
      const list: [string, string][] = [];
      for (const line of this.#head.split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        list.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
      }
      this.#list = list;
    }
    return this.#list;
  }

  /** The first value of a header (name in lower case), or null. */
  header(name: string): string | null {
    for (const [n, v] of this.headerList) if (n === name) return v;
    return null;
  }

  /** The headers as a Headers object (lines it refuses are left out). */
  headers(): Headers {
    const h = new Headers();
    for (const [n, v] of this.headerList) {
      try {
        h.append(n, v);
      } catch {
        // a header value fetch would refuse: not needed to judge the answer
      }
    }
    return h;
  }

  text(): string {
    return decoder.decode(this.body);
  }
}

/**
 * The first values of the headers that frame an answer, found without splitting the head into lines and
 * pairs (a webhook delivery reads an answer per event; the other headers are parsed only when asked for).
 */
function framingOf(head: string): { connection: string | null; te: string | null; cl: string | null } {
  let connection: string | null = null, te: string | null = null, cl: string | null = null;
  for (let at = 0; at < head.length;) {
    let eol = head.indexOf("\r\n", at);
    if (eol < 0) eol = head.length;
    const colon = head.indexOf(":", at);
    // Only names as long as "connection" (10) to "transfer-encoding" (17), give or take stray spaces.
    if (colon > at && colon < eol && colon - at >= 10 && colon - at <= 24) {
      const name = head.slice(at, colon).trim().toLowerCase();
      if (name === "connection") connection ??= head.slice(colon + 1, eol).trim();
      else if (name === "transfer-encoding") te ??= head.slice(colon + 1, eol).trim();
      else if (name === "content-length") {
        // Two different lengths leave the body's end unknown (RFC 9112, 6.3): the joined value is refused.
        const value = head.slice(colon + 1, eol).trim();
        cl = cl === null || cl === value ? value : `${cl}, ${value}`;
      }
    }
    at = eol + 2;
  }
  return { connection, te, cl };
}

const EMPTY = new Uint8Array(0);

/** The server closed a reused connection before any byte of answer: the request may be sent again. */
export class StaleConnectionError extends Error {
  override name = "StaleConnectionError";
}

const decoder = new TextDecoder();
const MAX_HEAD_BYTES = 64 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;

function find(buf: Uint8Array, len: number, from: number, crlfcrlf: boolean): number {
  for (let i = from; i + (crlfcrlf ? 3 : 1) < len; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && (!crlfcrlf || (buf[i + 2] === 13 && buf[i + 3] === 10))) {
      return i;
    }
  }
  return -1;
}

/** Errors of a connection the other side reset: on a reused connection, a stale one. */
function isReset(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.UnexpectedEof;
}

/**
 * Reads one answer to a request of `method`. `reused`: the connection carried an answer before, so an
 * end before any byte is a StaleConnectionError. `reusable` in the result: the connection can carry the
 * next request.
 */
export async function readResponse(
  c: Http1Connection,
  method: string,
  maxBodyBytes: number,
  reused: boolean,
): Promise<{ response: Http1Response; reusable: boolean }> {
  for (;;) {
    let end: number;
    let scanned = 0;
    while ((end = find(c.buf, c.len, Math.max(0, scanned - 3), true)) < 0) {
      scanned = c.len;
      if (c.len > MAX_HEAD_BYTES) throw new Error("the answer's headers are over 64 KB");
      let more: boolean;
      try {
        more = await c.fill();
      } catch (e) {
        if (reused && c.len === 0 && isReset(e)) throw new StaleConnectionError("connection reset");
        throw e;
      }
      if (!more) {
        if (reused && c.len === 0) throw new StaleConnectionError("connection closed");
        throw new Error("the connection closed before an answer");
      }
    }
    const text = decoder.decode(c.buf.subarray(0, end));
    c.consume(end + 4);
    const eol = text.indexOf("\r\n");
    const first = eol < 0 ? text : text.slice(0, eol);
    const m = STATUS_LINE.exec(first);
    if (!m) throw new Error(`not an HTTP/1.x answer: ${JSON.stringify(first.slice(0, 60))}`);
    const status = Number(m[2]);
    // Informational answers (100, 103) come before the real one.
    if (status >= 100 && status < 200 && status !== 101) continue;
    const head = eol < 0 ? "" : text.slice(eol + 2);
    const { connection: connectionHeader, te, cl } = framingOf(head);
    const connection = (connectionHeader ?? "").toLowerCase();
    let reusable = m[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    let body: Uint8Array;
    if (method === "HEAD" || status === 204 || status === 304 || status === 101) {
      body = EMPTY;
      if (status === 101) reusable = false;
    } else if (te !== null) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) {
        body = await readToEnd(c, maxBodyBytes);
        reusable = false;
      } else {
        const r = await readChunked(c, maxBodyBytes);
        body = r.body;
        reusable &&= r.complete;
      }
    } else if (cl !== null) {
      if (!/^\d+$/.test(cl)) throw new Error(`the answer's content-length ${JSON.stringify(cl)} is invalid`);
      const length = Number(cl);
      const keep = Math.min(length, maxBodyBytes);
      // Usually the whole body came with the head: no promise to wait for then.
      if (c.len < keep) await need(c, keep);
      body = keep === 0 ? EMPTY : c.buf.slice(0, keep);
      c.consume(keep);
      // The rest is not read: the connection cannot carry another request.
      if (keep < length) reusable = false;
    } else {
      body = await readToEnd(c, maxBodyBytes);
      reusable = false;
    }
    return { response: new Http1Response(status, m[3] ?? "", head, body), reusable };
  }
}

/** Waits until `n` bytes are buffered. */
async function need(c: Http1Connection, n: number): Promise<void> {
  while (c.len < n) {
    if (!(await c.fill())) throw new Error("the connection closed inside the answer's body");
  }
}

/** The body up to the end of the connection, at most `max` bytes. */
async function readToEnd(c: Http1Connection, max: number): Promise<Uint8Array> {
  while (c.len < max && await c.fill());
  const keep = Math.min(c.len, max);
  const body = c.buf.slice(0, keep);
  c.consume(keep);
  return body;
}

/** A chunked body: at most `max` bytes; `complete` when it was read to its end (trailers included). */
async function readChunked(
  c: Http1Connection,
  max: number,
): Promise<{ body: Uint8Array; complete: boolean }> {
  const parts: Uint8Array[] = [];
  let kept = 0;
  for (;;) {
    let eol: number;
    while ((eol = find(c.buf, c.len, 0, false)) < 0) {
      if (c.len > MAX_HEAD_BYTES) throw new Error("a chunk header of the answer is over 64 KB");
      if (!(await c.fill())) throw new Error("the connection closed inside the answer's body");
    }
    const sizeText = decoder.decode(c.buf.subarray(0, eol)).split(";")[0].trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw new Error("the answer's chunked body is malformed");
    const size = parseInt(sizeText, 16);
    c.consume(eol + 2);
    if (size === 0) {
      // Trailer lines, up to the empty one.
      for (;;) {
        while ((eol = find(c.buf, c.len, 0, false)) < 0) {
          if (c.len > MAX_HEAD_BYTES) throw new Error("the answer's trailers are over 64 KB");
          if (!(await c.fill())) throw new Error("the connection closed inside the answer's trailers");
        }
        c.consume(eol + 2);
        if (eol === 0) return { body: join(parts, kept), complete: true };
      }
    }
    if (kept + size > max) {
      const take = max - kept;
      await need(c, take);
      parts.push(c.buf.slice(0, take));
      return { body: join(parts, max), complete: false };
    }
    await need(c, size + 2);
    parts.push(c.buf.slice(0, size));
    kept += size;
    c.consume(size + 2);
  }
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
