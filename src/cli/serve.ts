import { closeDeps, openDeps } from "../compose.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Deps } from "../deps.ts";
import type { RunningServer } from "../server.ts";
import { UsageError } from "./io.ts";
import type { CronScheduler } from "../runtime/profile.ts";

/** SIGTERM ends the process within 10 s whatever happens (orchestrators kill after their own grace period). */
const SHUTDOWN_DEADLINE_MS = 8_000;

/**
 * The HTTP app's module graph (and the MCP endpoint's, part of it) load while the store opens. Not
 * literals, for the reason given at SERVE_MODULE in src/cli/run.ts; `deno compile` embeds them through
 * `--include`, the Dockerfile installs their packages by naming them as entry points.
 */
const SERVER_MODULE = "../server.ts";
const MCP_HTTP_MODULE = "../mcp/http.ts";
/** The pages, OAuth and the console, which the app loads on their first request (src/app.ts). */
const PAGES_MODULE = "../ui/pages.ts";

/**
 * How long after the server listens the MCP SDK, then the pages, start loading. Loading them blocks the
 * event loop (0.15 s and 0.05 s on an idle machine, up to a second on a busy one): right at listen time it
 * delayed the first `/healthz` and the first page by that much. A tool call or a page before then loads
 * what it needs itself.
 */
const MCP_PRELOAD_DELAY_MS = 2_000;

/**
 * Runs the server until SIGINT/SIGTERM. The port is checked before the store is opened or migrated, so
 * a busy port costs one line and exit 2, not migrations, a setup link for a server that never starts
 * and a stack trace. Every line goes through `log`, so LOG_FORMAT=json output is JSON to the last line.
 */
export async function serve(
  config: Config,
  log: Logger,
  { cron = null }: { cron?: CronScheduler | null } = {},
): Promise<void> {
  // On Deno Deploy the platform owns the listening socket: there is no port of ours to probe.
  if (config.runtime !== "deploy") assertPortFree(config);
  // Opening the store (on the embedded store, starting PGlite: most of a start), the migrations check and
  // the secrets begin before the HTTP app's modules load, so the two overlap: PGlite compiles its
  // WebAssembly on other threads and reads its files, PostgreSQL answers, while the modules load.
  const opening = openDeps(config, { log });
  opening.catch(() => {}); // awaited below; a rejection before then is not unhandled
  const loading = import(SERVER_MODULE) as Promise<typeof import("../server.ts")>;
  loading.catch(() => {});
  let preload: ReturnType<typeof setTimeout> | undefined;
  let running: RunningServer | null = null;
  let stopRequested = false;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  function shutdown(server: RunningServer) {
    server.shutdown().catch(function shutdownFailed(e) {
      log.error("shutdown failed", { error: e });
      Deno.exit(1);
    });
  }
  function stop() {
    if (deadline !== undefined) {
      log.warn("second signal: exiting now");
      Deno.exit(1);
    }
    log.info("shutting down: finishing in-flight requests");
    // A shutdown that hangs (a request or the store waiting on a database that is gone) never keeps the
    // process alive: it exits anyway after SHUTDOWN_DEADLINE_MS.
    deadline = setTimeout(function forceExit() {
      log.error(`shutdown did not finish in ${SHUTDOWN_DEADLINE_MS / 1000} s: exiting`);
      Deno.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    Deno.unrefTimer(deadline);
    stopRequested = true;
    if (running) shutdown(running);
  }
  // Listen for signals before anything starts: the server answers /healthz before startServer() has
  // returned, and a SIGTERM in that gap must still be a clean shutdown, not the default kill.
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) {
    try {
      Deno.addSignalListener(s, stop);
    } catch {
      // Platforms without signals (Windows for SIGTERM, Deno Deploy) stop the process their own way.
    }
  }
  try {
    const { startServer } = await loadOrClose(loading, opening);
    const deps = await opening;
    try {
      running = await startServer(deps, { port: config.port, hostname: config.host, cron });
    } catch (e) {
      await closeDeps(deps);
      throw e;
    }
    if (stopRequested) shutdown(running);
    // Loads the MCP SDK, then the pages, once the server has answered its first requests, so usually the
    // first tool call and the first page do not wait for them either.
    else {
      preload = setTimeout(function preloadMcp() {
        if (stopRequested) return;
        (import(MCP_HTTP_MODULE) as Promise<typeof import("../mcp/http.ts")>)
          .then((m) => m.loadMcp())
          .catch(function mcpLoadFailed(e) {
            log.error("loading the MCP server failed", { error: e });
          })
          .then(() => stopRequested ? undefined : import(PAGES_MODULE))
          .catch(function pagesLoadFailed(e) {
            log.error("loading the pages failed", { error: e });
          });
      }, MCP_PRELOAD_DELAY_MS);
    }
    await running.finished;
    await running.shutdown();
  } finally {
    clearTimeout(preload);
    clearTimeout(deadline);
    for (const s of signals) {
      try {
        Deno.removeSignalListener(s, stop);
      } catch { /* see above */ }
    }
  }
}

/** The server module once loaded; when it fails to load, the store opened meanwhile is closed first. */
async function loadOrClose<T>(loading: Promise<T>, opening: Promise<Deps>): Promise<T> {
  try {
    return await loading;
  } catch (e) {
    await opening.then((deps) => closeDeps(deps), () => {});
    throw e;
  }
}

/**
 * Throws a UsageError (exit 2) naming the port and its setting when HOST:PORT cannot be listened on.
 * A probe, not a reservation: another process may still take the port before the server binds it,
 * and then Deno.serve's own error is reported.
 */
export function assertPortFree({ host, port }: Pick<Config, "host" | "port">): void {
  if (port === 0) return;
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: host, port });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new UsageError(`port ${port} on ${host} is already in use: stop what listens there, or set PORT`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`port ${port} needs privileges to listen on: set PORT to 1024 or higher`);
    }
    if (e instanceof Deno.errors.AddrNotAvailable) {
      throw new UsageError(`HOST=${host} is not an address of this machine: set HOST (e.g. 127.0.0.1)`);
    }
    throw e;
  }
  listener.close();
}
