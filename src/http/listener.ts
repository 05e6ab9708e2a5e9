/**
 * The server's socket: accepts TCP connections itself and hands each to Deno's HTTP engine, so that it can
 * do what `Deno.serve` (Deno 2.9) cannot:
 * - close a connection that sends no whole request head within HTTP_HEADER_TIMEOUT_MS (slowloris) or stays
 *   idle between requests for HTTP_IDLE_TIMEOUT_MS (src/http/connection_timeouts.ts);
 * - hold at most HTTP_MAX_CONNECTIONS (lowered to fit `ulimit -n`, src/http/fd_limit.ts) and refuse more
 *   with an immediate 503 and close, instead of running out of file descriptors;
 * - survive accept errors: `Deno.serve` ends its server, and with it the process, on the first one
 *   ("Too many open files" under a connection flood); here EMFILE and the like back off and retry.
 *
 * Why this design (docs/operations.md, "Connections" has the measurements): `Deno.serve` has no timeout
 * or connection options and no hook per connection. Deno's own per-connection entry point,
 * `serveHttpOnConnection` (the same HTTP engine as `Deno.serve`, for one socket), is reachable through
 * `Deno[Deno.internal]` and measured as fast as `Deno.serve`. The public alternatives cost far more
 * on our 2 cores: `node:http` (which has headersTimeout and maxConnections) with a Request/Response bridge
 * served about a fifth of `Deno.serve`'s requests per second, and a TCP front piping to `Deno.serve` on a
 * Unix socket under a third. The internal is not a public API, so its absence is checked at start-up: then
 * Sluice falls back to plain `Deno.serve` and logs that these limits are off, and
 * tests/http/listener_test.ts fails on that Deno version before a release does.
 */
import type { Logger } from "../log.ts";
import { ConnectionTimeouts, type TrackedConnection } from "./connection_timeouts.ts";

type Handler = Deno.ServeHandler<Deno.NetAddr>;

/** Deno's per-connection HTTP server: (conn, signal, handler, onError, onListen(scheme)). */
type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal | undefined,
  handler: Handler,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: (scheme: string) => void,
) => Deno.HttpServer;

/** `serveHttpOnConnection` from Deno's internals, or null on a Deno without it. */
export function internalServeOnConnection(): ServeOnConnection | null {
  const key = (Deno as unknown as { internal?: symbol }).internal;
  if (typeof key !== "symbol") return null;
  const internals = (Deno as unknown as Record<symbol, Record<string, unknown> | undefined>)[key];
  const fn = internals?.serveHttpOnConnection;
  return typeof fn === "function" ? fn as ServeOnConnection : null;
}

/** What the accept loop needs of a `Deno.Listener`. */
export interface Socket {
  readonly addr: Deno.NetAddr;
  accept(): Promise<Deno.TcpConn>;
  close(): void;
}

export interface ListenerOptions {
  hostname: string;
  port: number;
  headerTimeoutMs: number;
  idleTimeoutMs: number;
  /** Open connections at most; more are refused. */
  maxConnections: number;
  log: Logger;
  /** Told of each connection event (for metrics); the same events are summed in `stats()`. */
  onEvent?: (event: ConnectionEvent) => void;
  /** An already-bound socket to serve on instead of binding hostname:port (tests wrap one). */
  listener?: Socket;
}

export type ConnectionEvent = "accepted" | "refused" | "timed_out" | "closed" | "accept_error";

export interface ListenerStats {
  open: number;
  /** Connections refused because `maxConnections` were open. */
  refused: number;
  /** Connections closed by the header or the idle timeout. */
  timedOut: number;
  acceptErrors: number;
}

export interface HttpListener {
  addr: Deno.NetAddr;
  /** Whether the timeouts and the cap are enforced (false on the plain `Deno.serve` fallback). */
  guarded: boolean;
  /** Resolves once shut down: the socket is closed and every connection has ended. Never rejects. */
  finished: Promise<void>;
  /** Stops accepting, closes idle connections, lets in-flight requests finish. */
  shutdown(): Promise<void>;
  stats(): ListenerStats;
}

const REFUSAL_BODY = JSON.stringify({
  error: { code: "too_many_connections", message: "The server holds all the connections it may; try again" },
});
const REFUSAL = new TextEncoder().encode(
  "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n" +
    `Content-Type: application/json\r\nContent-Length: ${REFUSAL_BODY.length}\r\n\r\n${REFUSAL_BODY}`,
);

/** Refusals writing their 503 at once at most; more are closed without it. */
const MAX_REFUSING = 32;
/** Back-off after a failed accept: doubles from the first to the last, reset by a successful one. */
const ACCEPT_BACKOFF_MS = [10, 1000] as const;
/** At most one warning line per kind in this time; the rest are counted into the next line. */
const WARN_EVERY_MS = 10_000;

/** Serves `handler` on hostname:port with the timeouts and the connection cap (see the top of this file). */
export function serveGuarded(handler: Handler, options: ListenerOptions): HttpListener {
  const found = internalServeOnConnection();
  if (!found) return serveUnguarded(handler, options);
  const serveOn: ServeOnConnection = found;
  const { headerTimeoutMs, idleTimeoutMs, maxConnections, log, onEvent = ignore } = options;
  const listener: Socket = options.listener ??
    Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" });
  const timeouts = new ConnectionTimeouts({ headerTimeoutMs, idleTimeoutMs });
  const servers = new Map<TrackedConnection, Deno.HttpServer>();
  const stats = { refused: 0, timedOut: 0, acceptErrors: 0 };
  const warnRefused = throttledWarn(log);
  const warnAccept = throttledWarn(log);
  let closing = false;
  let wake: (() => void) | null = null;

  // A coarse sweep, not a timer per connection: a request costs a few field writes and one callback on
  // its `completed` promise, and a deadline is enforced within a tenth of the shorter timeout (at most a
  // second) after it passes.
  const sweepEvery = Math.min(1000, Math.max(20, Math.floor(Math.min(headerTimeoutMs, idleTimeoutMs) / 10)));
  const sweeper = setInterval(function sweep() {
    const n = timeouts.sweep();
    stats.timedOut += n;
    for (let i = 0; i < n; i++) onEvent("timed_out");
  }, sweepEvery);
  Deno.unrefTimer(sweeper);

  function onError(error: unknown): Response {
    log.error("request failed outside the app", { error });
    return new Response("Internal Server Error", { status: 500 });
  }

  let refusing = 0;
  function refuse(conn: Deno.Conn) {
    stats.refused++;
    onEvent("refused");
    warnRefused(
      `connection limit reached: refusing new connections (HTTP_MAX_CONNECTIONS, ulimit -n)`,
      { open: timeouts.size, max: maxConnections },
    );
    // Each refusal holds its descriptor until its write has completed, and a flood is accepted faster than
    // the writes complete: past MAX_REFUSING at once, close without the 503 so refusals cannot use up the
    // descriptors the cap leaves to the rest.
    if (refusing >= MAX_REFUSING) return closeQuietly(conn);
    refusing++;
    conn.write(REFUSAL).catch(ignore).finally(function closeRefused() {
      refusing--;
      closeQuietly(conn);
    });
  }

  function admit(conn: Deno.TcpConn) {
    if (closing) return closeQuietly(conn);
    if (timeouts.size >= maxConnections) return refuse(conn);
    try {
      conn.setNoDelay(true);
    } catch { /* the client already left; the engine finds out */ }
    let server: Deno.HttpServer | null = null;
    const tracked = timeouts.add(function closeConnection() {
      server?.shutdown().catch(ignore);
    });
    function ended() {
      timeouts.requestEnded(tracked);
    }
    function tracking(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) {
      timeouts.requestStarted(tracked);
      // Settles once the response has been sent or has failed to be (a handler that throws included).
      info.completed.then(ended, ended);
      return handler(req, info);
    }
    try {
      server = serveOn(conn, undefined, tracking, onError, ignore);
    } catch (error) {
      timeouts.remove(tracked);
      log.warn("could not serve a connection", { error });
      return closeQuietly(conn);
    }
    servers.set(tracked, server);
    onEvent("accepted");
    server.finished.catch(ignore).finally(function connectionEnded() {
      timeouts.remove(tracked);
      servers.delete(tracked);
      onEvent("closed");
    });
  }

  async function acceptLoop() {
    let backoff = 0;
    while (!closing) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
        backoff = 0;
      } catch (error) {
        if (closing || error instanceof Deno.errors.BadResource) break;
        stats.acceptErrors++;
        onEvent("accept_error");
        backoff = Math.min(ACCEPT_BACKOFF_MS[1], Math.max(ACCEPT_BACKOFF_MS[0], backoff * 2));
        warnAccept("accepting a connection failed: backing off, still serving the open ones", {
          error: error instanceof Error ? error.message : String(error),
          open: timeouts.size,
        });
        await new Promise<void>(function backOff(resolve) {
          const t = setTimeout(resolve, backoff);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
        continue;
      }
      admit(conn);
    }
  }
  const accepting = acceptLoop();

  let stopping: Promise<void> | null = null;
  function shutdown(): Promise<void> {
    stopping ??= (async function stop() {
      closing = true;
      clearInterval(sweeper);
      closeQuietly(listener);
      wake?.();
      await accepting;
      // Deno's graceful shutdown per connection: idle and half-sent ones close now, a request in flight
      // gets its response first.
      await Promise.all([...servers.values()].map((s) => s.shutdown().catch(ignore)));
      await Promise.all([...servers.values()].map((s) => s.finished.catch(ignore)));
    })();
    return stopping;
  }
  const { promise: finished, resolve: resolveFinished } = Promise.withResolvers<void>();
  return {
    addr: listener.addr,
    guarded: true,
    finished,
    shutdown: () => shutdown().then(resolveFinished),
    stats: () => ({ open: timeouts.size, ...stats }),
  };
}

/** Plain `Deno.serve`, for a Deno without the internal: works, but without timeouts or a cap. */
function serveUnguarded(handler: Handler, options: ListenerOptions): HttpListener {
  options.log.warn(
    "this Deno version has no per-connection serving: HTTP timeouts and the connection cap are off",
    { deno: Deno.version.deno },
  );
  options.listener?.close();
  const server = Deno.serve({ hostname: options.hostname, port: options.port, onListen: ignore }, handler);
  const finished = server.finished.catch(function serverEnded(error) {
    options.log.error("the HTTP server stopped", { error });
  });
  return {
    addr: server.addr,
    guarded: false,
    finished,
    shutdown: () => server.shutdown(),
    stats: () => ({ open: 0, refused: 0, timedOut: 0, acceptErrors: 0 }),
  };
}

/** A warn() that writes at most one line per WARN_EVERY_MS and counts what it held back into the next. */
function throttledWarn(log: Logger) {
  let last = -Infinity;
  let held = 0;
  return function warn(msg: string, fields: Record<string, unknown>) {
    const now = performance.now();
    if (now - last < WARN_EVERY_MS) {
      held++;
      return;
    }
    last = now;
    log.warn(msg, held > 0 ? { ...fields, sinceLastLine: held } : fields);
    held = 0;
  };
}

function closeQuietly(c: { close(): void }) {
  try {
    c.close();
  } catch { /* already closed */ }
}

function ignore() {}
