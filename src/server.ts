import { createApp } from "./app.ts";
import { closeDeps } from "./compose.ts";
import type { Deps } from "./deps.ts";
import { connectionCap, descriptorLimit, openDescriptors } from "./http/fd_limit.ts";
import { serveGuarded } from "./http/listener.ts";
import { startBackground } from "./pipeline/background.ts";
import { bootstrap } from "./services/bootstrap.ts";
import type { CronScheduler } from "./runtime/profile.ts";

export interface RunningServer {
  /** `http://host:port` it actually listens on (port 0 picks a free one). */
  url: string;
  /** Stops accepting, finishes in-flight requests and background work, then closes what compose built. */
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

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
  // Background work that a request may start (bounded passes on Deno Deploy, src/pipeline/background.ts);
  // set once the background has started, right after listening.
  let onRequest = function beforeBackground() {};
  const server = serveGuarded(function handle(req, info) {
    onRequest();
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
  let closing: Promise<void> | null = null;
  const background = await startBackground(deps, { cron });
  onRequest = background.onRequest;
  deps.log.info("Sluice is listening", {
    url: `http://${host}:${addr.port}`,
    publicUrl: deps.config.publicUrl,
    store: deps.db.driver === "pglite" ? `embedded (${deps.config.dataDir})` : "postgres",
  });
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${addr.port}`,
    finished: server.finished,
    shutdown() {
      closing ??= (async function stop() {
        await server.shutdown();
        await background.stop();
        await closeDeps(deps);
      })();
      return closing;
    },
  };
}
