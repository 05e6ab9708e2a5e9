/**
 * A minimal HTTP/1.1 keep-alive client for the benchmarks' load generators: one TCP connection, one
 * request in flight at a time, responses framed by Content-Length or chunked encoding.
 *
 * Why not fetch(): on our 2-core machines the load generator shares the cores with the server and the
 * database, and fetch() as a client cost ~3x the CPU per request of the bare Hono handler it was
 * measuring, so the HTTP figures measured the client more than Sluice (wrk and autocannon exist for the
 * same reason). This client does the minimum a benchmark needs and nothing else: no redirects, no
 * compression, no TLS, loopback only.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = [13, 10, 13, 10];

export interface HttpResponse {
  status: number;
  body: string;
}

function indexOfSeq(buf: Uint8Array, seq: number[], from: number, to: number): number {
  outer: for (let i = from; i <= to - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/** One keep-alive connection to `url`'s host and port. */
export class HttpConnection {
  #conn: Deno.TcpConn | null = null;
  #buf = new Uint8Array(64 * 1024);
  #len = 0;
  #hostHeader: string;

  constructor(readonly url: URL) {
    this.#hostHeader = url.host;
  }

  async #connect(): Promise<Deno.TcpConn> {
    if (!this.#conn) {
      this.#conn = await Deno.connect({ hostname: this.url.hostname, port: Number(this.url.port) });
      this.#conn.setNoDelay(true);
      this.#len = 0;
    }
    return this.#conn;
  }

  /** Reads more bytes into the buffer (growing it); false on end of stream. */
  async #fill(conn: Deno.TcpConn): Promise<boolean> {
    if (this.#len === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    const n = await conn.read(this.#buf.subarray(this.#len));
    if (n === null) return false;
    this.#len += n;
    return true;
  }

  #consume(n: number) {
    this.#buf.copyWithin(0, n, this.#len);
    this.#len -= n;
  }

  /** Sends one request and reads its response. Connection errors close the connection and throw. */
  async request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<HttpResponse> {
    const conn = await this.#connect();
    try {
      const payload = body === undefined ? undefined : encoder.encode(body);
      let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      if (payload) head += `content-length: ${payload.length}\r\n`;
      head += "\r\n";
      const headBytes = encoder.encode(head);
      const out = payload ? new Uint8Array(headBytes.length + payload.length) : headBytes;
      if (payload) {
        out.set(headBytes);
        out.set(payload, headBytes.length);
      }
      for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
      return await this.#readResponse(conn);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  async #readResponse(conn: Deno.TcpConn): Promise<HttpResponse> {
    let end: number;
    while ((end = indexOfSeq(this.#buf, CRLFCRLF, 0, this.#len)) < 0) {
      if (!(await this.#fill(conn))) throw new Error("connection closed before the response head");
    }
    const head = decoder.decode(this.#buf.subarray(0, end)).split("\r\n");
    const status = Number(head[0].split(" ")[1]);
    let length = -1;
    let chunked = false;
    let close = false;
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim().toLowerCase();
      if (name === "content-length") length = Number(value);
      else if (name === "transfer-encoding") chunked = value.includes("chunked");
      else if (name === "connection") close = value === "close";
    }
    this.#consume(end + 4);
    let body: string;
    if (chunked) body = await this.#readChunked(conn);
    else {
      if (length < 0) throw new Error("response without Content-Length or chunked encoding");
      while (this.#len < length) {
        if (!(await this.#fill(conn))) throw new Error("connection closed inside the response body");
      }
      body = decoder.decode(this.#buf.subarray(0, length));
      this.#consume(length);
    }
    if (close) this.close();
    return { status, body };
  }

  async #readChunked(conn: Deno.TcpConn): Promise<string> {
    const parts: Uint8Array[] = [];
    for (;;) {
      let eol: number;
      while ((eol = indexOfSeq(this.#buf, [13, 10], 0, this.#len)) < 0) {
        if (!(await this.#fill(conn))) throw new Error("connection closed inside a chunk header");
      }
      const size = parseInt(decoder.decode(this.#buf.subarray(0, eol)), 16);
      this.#consume(eol + 2);
      while (this.#len < size + 2) {
        if (!(await this.#fill(conn))) throw new Error("connection closed inside a chunk");
      }
      if (size === 0) {
        this.#consume(2);
        break;
      }
      parts.push(this.#buf.slice(0, size));
      this.#consume(size + 2);
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return decoder.decode(all);
  }

  close() {
    try {
      this.#conn?.close();
    } catch {
      // already closed
    }
    this.#conn = null;
    this.#len = 0;
  }
}
