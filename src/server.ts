import { createApp } from "./app.ts";
import { closeDeps } from "./compose.ts";
import type { Deps } from "./deps.ts";
import { connectionCap, descriptorLimit, openDescriptors } from "./http/fd_limit.ts";
import { serveGuarded } from "./http/listener.ts";
import { type Background, startBackground } from "./pipeline/background.ts";
import { bootstrap } from "./services/bootstrap.ts";
import type { CronScheduler } from "./runtime/profile.ts";

export interface RunningServer {
  /** `http://host:port` it actually listens on (port 0 picks a free one). */
  url: string;
  /** Stops accepting, finishes in-flight requests and background work, then closes what compose built. */
  shutdown(): Promise<void>;
  /** Settles once the server has stopped; rejects when the background work could not start. */
  finished: Promise<void>;
}

/**
 * How long after listening the background work (the pipeline's first claims and its LISTEN connection,
 * retention, store expiry, the sync scheduler) starts. Started at once, it ran before the first requests
 * were handled and delayed the first `/healthz`; now a request that comes while it starts waits for it
 * instead (on the embedded store, whose queries run on this thread, about 60 ms): docs/performance.md,
 * "Start-up".
 */
export const BACKGROUND_START_DELAY_MS = 200;

/**
 * Bootstraps the first admin if needed and serves the app with header and idle timeouts and a connection
 * cap (src/http/listener.ts).
 */
export async function startServer(
  deps: Deps,
  { port, hostname, cron }: {
    port: number;
    hostname: string;
    /** Deno Deploy's cron job as main.ts registered it (src/runtime/top_level_cron.ts). */
    cron?: CronScheduler | null;
  },
): Promise<RunningServer> {
  await bootstrap(deps);
  const app = createApp(deps);
  const limit = descriptorLimit();
  const { cap, lowered } = connectionCap(deps.config.httpMaxConnections, { limit, open: openDescriptors() });
  if (lowered) {
    deps.log.warn("HTTP_MAX_CONNECTIONS lowered to fit the file-descriptor limit: raise `ulimit -n`", {
      configured: deps.config.httpMaxConnections,
      enforced: cap,
      ulimit: limit,
    });
  }
  // The background work starts later (BACKGROUND_START_DELAY_MS), except on Deno Deploy, where requests and
  // cron drive it in passes (src/runtime/background_pass.ts): there it runs before startServer() returns, as
  // a request may be all that ever runs in an isolate.
  const deferred = deps.config.runtime !== "deploy";
  let background: Background | null = null;
  let starting: Promise<Background> | null = null;
  let startFailure: unknown = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopping = false;
  let closing: Promise<void> | null = null;
  const server = serveGuarded(function handle(req, info) {
    background?.onRequest(); // starts a due pass on Deploy; nothing on a machine
    return app.fetch(req, info);
  }, {
    port,
    hostname,
    headerTimeoutMs: deps.config.httpHeaderTimeoutMs,
    idleTimeoutMs: deps.config.httpIdleTimeoutMs,
    maxConnections: cap,
    log: deps.log,
    onEvent: function countConnection(event) {
      if (event === "accept_error") deps.metrics.inc("sluice_http_accept_errors_total");
      else deps.metrics.inc("sluice_http_connections_total", { event });
    },
  });
  const addr = server.addr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;

  function start(): Promise<Background> | null {
    clearTimeout(timer);
    if (starting || stopping) return starting;
    starting = startBackground(deps, { cron }).then(function started(b) {
      background = b;
      return b;
    });
    if (deferred) starting.catch(backgroundFailed);
    return starting;
  }
  /**
   * A background started after startServer() returned that cannot start stops the server, and `finished`
   * rejects with the reason (as startServer() does when it starts the background itself).
   */
  function backgroundFailed(e: unknown) {
    startFailure = e;
    deps.log.error("cannot start the background work: stopping the server", { error: e });
    shutdown().catch(function shutdownFailed(e) {
      deps.log.error("shutdown failed", { error: e });
    });
  }
  function shutdown(): Promise<void> {
    closing ??= (async function stop() {
      stopping = true;
      clearTimeout(timer);
      await server.shutdown();
      const started = await starting?.catch(() => null);
      await started?.stop();
      await closeDeps(deps);
    })();
    return closing;
  }
  if (deferred) timer = setTimeout(start, BACKGROUND_START_DELAY_MS);
  else await start();
  deps.log.info("Sluice is listening", {
    url: `http://${host}:${addr.port}`,
    publicUrl: deps.config.publicUrl,
    store: deps.db.driver === "pglite" ? `embedded (${deps.config.dataDir})` : "postgres",
  });
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${addr.port}`,
    finished: server.finished.then(async function ended() {
      if (startFailure === null) return;
      await closing;
      throw startFailure;
    }),
    shutdown,
  };
}
