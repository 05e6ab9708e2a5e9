import { closeDeps, openDeps } from "../compose.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { loadMcp } from "../mcp/http.ts";
import { type RunningServer, startServer } from "../server.ts";
import { UsageError } from "./io.ts";

/** SIGTERM ends the process within 10 s whatever happens (orchestrators kill after their own grace period). */
const SHUTDOWN_DEADLINE_MS = 8_000;

/**
 * Runs the server until SIGINT/SIGTERM. The port is checked before the store is opened or migrated, so
 * a busy port costs one line and exit 2, not migrations, a setup link for a server that never starts
 * and a stack trace. Every line goes through `log`, so LOG_FORMAT=json output is JSON to the last line.
 */
export async function serve(config: Config, log: Logger): Promise<void> {
  assertPortFree(config);
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
    const deps = await openDeps(config, { log });
    try {
      running = await startServer(deps, { port: config.port, hostname: config.host });
    } catch (e) {
      await closeDeps(deps);
      throw e;
    }
    if (stopRequested) shutdown(running);
    // Loads the MCP SDK now that the server answers and stops on a signal, so the first tool call does not
    // wait for it either (its loading blocks the event loop for a moment).
    else {
      loadMcp().catch(function mcpLoadFailed(e) {
        log.error("loading the MCP server failed", { error: e });
      });
    }
    await running.finished;
    await running.shutdown();
  } finally {
    clearTimeout(deadline);
    for (const s of signals) {
      try {
        Deno.removeSignalListener(s, stop);
      } catch { /* see above */ }
    }
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
