/**
 * A small HTTP/1.1 client with a pool of keep-alive connections, for deliveries that send many small
 * requests to one endpoint (the webhook driver). On our 2-core machines fetch() cost 55-105 µs of CPU a
 * request against a receiver answering at once, where this client costs 20-30 µs (`deno task bench
 * webhook` prints both): at 10,000 events/s that difference is most of a core.
 *
 * It connects only to addresses the caller has already checked (src/net/url_guard.ts), so the address
 * checked is the address connected to: no second DNS lookup between the check and the connection, where
 * fetch() resolves the name again. TLS verifies the server's certificate against the URL's host name.
 *
 * What it does not do: redirects (returned as they are), HTTP/2, proxies, compression, `Expect:
 * 100-continue`, streamed bodies. A connection the server closed while idle is found out when it is reused:
 * a request that got no byte of answer on a reused connection is sent once more on a new one (at least once,
 * as every delivery is).
 */
import { Http1Connection, type Http1Response, readResponse, StaleConnectionError } from "./http1_response.ts";
import { encodeRequest, headPrefix, type Http1Request } from "./http1_request.ts";

export type { Http1Response } from "./http1_response.ts";
export { headerLine, type Http1Request, InvalidHeaderError } from "./http1_request.ts";

/** The request did not end within its `timeoutMs`. */
export class Http1TimeoutError extends Error {
  override name = "TimeoutError";
}

export interface Http1ClientOptions {
  /** Idle connections kept per origin at most. */
  maxIdlePerOrigin?: number;
  /** An idle connection older than this is closed instead of reused (servers often close theirs at 5 s). */
  idleMs?: number;
  /** Extra root certificates (PEM), for tests' TLS servers. */
  caCerts?: string[];
}

/**
 * A request between its start and its end, as the client's one timer and its abort listeners see it:
 * stopping it closes its connection (or aborts the connect), which fails the read or write it waits on.
 */
class InFlight {
  timedOut = false;
  connecting: AbortController | null = null;
  current: Http1Connection | null = null;

  constructor(readonly deadline: number, readonly signal: AbortSignal | undefined) {}

  stop(): void {
    this.connecting?.abort();
    this.current?.close();
  }
}

/** A pool of keep-alive connections per origin; close() ends them all. */
/** The longest delay setTimeout keeps (a 32-bit signed count of milliseconds). */
const MAX_TIMER_MS = 2_147_483_647;

export class Http1Client {
  readonly #idle = new Map<string, Http1Connection[]>();
  readonly #all = new Set<Http1Connection>();
  readonly #maxIdle: number;
  readonly #idleMs: number;
  readonly #caCerts: string[] | undefined;
  #sweep: ReturnType<typeof setTimeout> | null = null;
  /** Requests between their start and their end. */
  readonly #inFlight = new Set<InFlight>();
  /** Requests in flight by the signal that stops them. */
  readonly #bySignal = new Map<AbortSignal, { requests: Set<InFlight>; onAbort: () => void }>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** When #timer fires (Infinity: not armed). */
  #timerAt = Infinity;

  constructor(options: Http1ClientOptions = {}) {
    this.#maxIdle = options.maxIdlePerOrigin ?? 64;
    this.#idleMs = options.idleMs ?? 4000;
    this.#caCerts = options.caCerts;
  }

  /** Sends `req` and reads its answer (at most `maxBodyBytes` of body). */
  async request(req: Http1Request): Promise<Http1Response> {
    const origin = `${req.url.protocol}//${req.url.host}`;
    const signal = req.signal;
    const f = new InFlight(performance.now() + req.timeoutMs, signal);
    const failed = (e: unknown): Error => {
      if (f.timedOut) return new Http1TimeoutError(`no answer within ${req.timeoutMs} ms`);
      if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error("aborted");
      return e instanceof Error ? e : new Error(String(e));
    };
    try {
      // Checks the method before connecting (and builds the head this request will be written with).
      headPrefix(req);
      signal?.throwIfAborted();
      this.#watch(f);
      for (let attempt = 0;; attempt++) {
        const reused = this.#take(origin, req.addresses);
        if (reused) f.current = reused;
        else {
          f.connecting = new AbortController();
          try {
            f.current = await this.#connect(req, origin, f.connecting.signal);
          } catch (e) {
            throw failed(e);
          } finally {
            f.connecting = null;
          }
          if (f.timedOut || signal?.aborted) {
            this.#forget(f.current);
            throw failed(null);
          }
        }
        const conn: Http1Connection = f.current;
        try {
          const bytes = encodeRequest(req, conn);
          try {
            for (let off = 0; off < bytes.length;) off += await conn.conn.write(bytes.subarray(off));
          } catch (e) {
            // A reused connection the server closed while it was idle: the request did not get through.
            if (reused) throw new StaleConnectionError((e as Error).message);
            throw e;
          }
          const res = await readResponse(conn, req.method, req.maxBodyBytes, reused !== null);
          if (res.reusable) this.#release(conn);
          else this.#forget(conn);
          return res.response;
        } catch (e) {
          this.#forget(conn);
          if (!f.timedOut && !signal?.aborted && e instanceof StaleConnectionError && attempt === 0) continue;
          throw failed(e);
        }
      }
    } finally {
      this.#unwatch(f);
    }
  }

  /**
   * Times a request out and stops it on its signal's abort. One timer for all requests in flight (at the
   * earliest deadline) and one abort listener per signal, not a timer and a listener per request: those
   * were about 5% of the pipeline's main thread while it delivered to a webhook.
   */
  #watch(f: InFlight): void {
    this.#inFlight.add(f);
    if (f.deadline < this.#timerAt) this.#armTimer(f.deadline);
    const signal = f.signal;
    if (!signal) return;
    let watched = this.#bySignal.get(signal);
    if (!watched) {
      const requests = new Set<InFlight>();
      const onAbort = () => {
        for (const r of requests) r.stop();
      };
      watched = { requests, onAbort };
      this.#bySignal.set(signal, watched);
      signal.addEventListener("abort", onAbort);
    }
    watched.requests.add(f);
  }

  #unwatch(f: InFlight): void {
    if (!this.#inFlight.delete(f)) return;
    if (this.#inFlight.size === 0) this.#armTimer(Infinity);
    const signal = f.signal;
    const watched = signal ? this.#bySignal.get(signal) : undefined;
    if (!watched) return;
    watched.requests.delete(f);
    if (watched.requests.size === 0) {
      // No listener is left behind on a long-lived signal (the pipeline's, for all its calls).
      signal!.removeEventListener("abort", watched.onAbort);
      this.#bySignal.delete(signal!);
    }
  }

  #armTimer(at: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === Infinity) return;
    // setTimeout fires at once for delays past 2^31-1 ms: a far deadline is reached by re-arming.
    this.#timer = setTimeout(
      () => this.#expire(),
      Math.min(MAX_TIMER_MS, Math.max(0, at - performance.now())),
    );
  }

  /** Stops the requests past their deadline and arms the timer for the next one. */
  #expire(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const f of this.#inFlight) {
      if (f.deadline <= now) {
        f.timedOut = true;
        f.stop();
      } else if (f.deadline < next) next = f.deadline;
    }
    if (next < Infinity) this.#armTimer(next);
  }

  /**
   * Closes every connection, idle or in use (their requests fail). The client stays usable: a later
   * request opens a new connection.
   */
  close(): void {
    if (this.#sweep !== null) clearTimeout(this.#sweep);
    this.#sweep = null;
    for (const c of this.#all) c.close();
    this.#all.clear();
    this.#idle.clear();
  }

  /** The newest idle connection of `origin` to one of `addresses` that is young enough, or null. */
  #take(origin: string, addresses: readonly string[]): Http1Connection | null {
    const list = this.#idle.get(origin);
    if (!list) return null;
    const now = performance.now();
    let c: Http1Connection | undefined;
    while ((c = list.pop())) {
      if (now - c.idleSince <= this.#idleMs && !c.closed && addresses.includes(c.address)) return c;
      this.#forget(c);
    }
    return null;
  }

  #release(c: Http1Connection): void {
    // A connection from before close() is not kept.
    if (!this.#all.has(c)) return c.close();
    const list = this.#idle.get(c.origin) ?? [];
    if (list.length >= this.#maxIdle) return this.#forget(c);
    c.idleSince = performance.now();
    list.push(c);
    this.#idle.set(c.origin, list);
    if (list.length > 1 && idleFor(list[0]) > this.#idleMs) this.#pruneOld(list);
    this.#sweepLater();
  }

  /** Closes the oldest idle connections of a list (the oldest come first) that idled longer than idleMs. */
  #pruneOld(list: Http1Connection[]): void {
    while (list.length > 0 && idleFor(list[0]) > this.#idleMs) this.#forget(list.shift()!);
  }

  /**
   * Connections idle past idleMs are closed by a sweep, so a destination that stops receiving events does
   * not keep its sockets open; the timer does not keep the process alive.
   */
  #sweepLater(): void {
    if (this.#sweep !== null) return;
    const timer = setTimeout(() => {
      this.#sweep = null;
      for (const [origin, list] of this.#idle) {
        this.#pruneOld(list);
        if (list.length === 0) this.#idle.delete(origin);
      }
      if (this.#idle.size > 0) this.#sweepLater();
    }, this.#idleMs + 100);
    Deno.unrefTimer(timer);
    this.#sweep = timer;
  }

  #forget(c: Http1Connection): void {
    c.close();
    this.#all.delete(c);
  }

  async #connect(req: Http1Request, origin: string, signal: AbortSignal): Promise<Http1Connection> {
    const https = req.url.protocol === "https:";
    const port = Number(req.url.port) || (https ? 443 : 80);
    const serverName = req.url.hostname.replace(/^\[(.*)\]$/, "$1");
    let last: unknown = new Error("no address to connect to");
    for (const address of req.addresses) {
      let tcp: Deno.TcpConn | null = null;
      try {
        tcp = await Deno.connect({ hostname: address, port, signal });
        tcp.setNoDelay(true);
        const conn = https
          ? await Deno.startTls(tcp, {
            hostname: serverName,
            caCerts: this.#caCerts,
            alpnProtocols: ["http/1.1"],
          })
          : tcp;
        const c = new Http1Connection(conn, origin, address);
        this.#all.add(c);
        return c;
      } catch (e) {
        try {
          tcp?.close();
        } catch {
          // already closed (startTls takes the connection over)
        }
        last = e;
        if (signal.aborted) break;
      }
    }
    throw last;
  }
}

function idleFor(c: Http1Connection): number {
  return performance.now() - c.idleSince;
}
