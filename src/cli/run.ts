import { openDeps } from "../compose.ts";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { AppError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { startServer } from "../server.ts";
import { StoreLockedError } from "../store/open.ts";
import { VERSION } from "../version.ts";
import { parseFlags } from "./args.ts";
import {
  apikeyCreate,
  apikeyList,
  apikeyRevoke,
  migrateCommand,
  secretsRotatePepper,
  type StoreCommand,
  userCreate,
  workspaceCreate,
} from "./commands.ts";
import { type CliIo, processIo, UsageError } from "./io.ts";
import { deadLetterList, deadLetterReplay } from "../pipeline/dead_letter_cli.ts";

const COMMANDS: Record<string, StoreCommand> = {
  "migrate": migrateCommand,
  "user create": userCreate,
  "workspace create": workspaceCreate,
  "apikey create": apikeyCreate,
  "apikey list": apikeyList,
  "apikey revoke": apikeyRevoke,
  "secrets rotate-pepper": secretsRotatePepper,
  "deadletter list": deadLetterList,
  "deadletter replay": deadLetterReplay,
};

// SIGTERM ends the process within 10 s whatever happens (orchestrators kill after their own grace period).
const SHUTDOWN_DEADLINE_MS = 8_000;

const SERVE_USAGE = `sluice serve
  Starts the server (the default with no command). Settings come from the environment: see README.`;

const HELP = `Sluice ${VERSION}: a Jitsu-compatible event-pipeline console for AI agents.

Usage: sluice <command> [flags]     (sluice <command> --help for one command)

Commands:
  serve                  start the server (default)
  migrate                apply database migrations and exit
  user create            create a user
  workspace create       create a workspace and print its id
  apikey create          create a personal API key and print keyId:keySecret
  apikey list            list a user's API keys
  apikey revoke          revoke an API key
  secrets rotate-pepper  start hashing new keys with a new pepper
  deadletter list        list deliveries that failed every retry
  deadletter replay      put dead letters back on the queue
  healthcheck            exit 0 when the local server's /healthz answers 200 (Docker HEALTHCHECK)

The store is DATABASE_URL (PostgreSQL) or the embedded one in DATA_DIR (default .sluice).`;

/**
 * Runs one CLI invocation and returns its exit code: 0 ok, 1 failed, 2 bad usage.
 * `serve` returns only when the server has shut down (SIGINT/SIGTERM).
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
): Promise<number> {
  const args = [...argv];
  if (args[0] === "--version" || args[0] === "-V") {
    io.stdout(VERSION);
    return 0;
  }
  if (args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
    io.stdout(HELP);
    return 0;
  }
  if (args[0] === "healthcheck") return await healthcheck(args.slice(1), env, io);
  if (args.length === 0 || args[0].startsWith("-") || args[0] === "serve") {
    if (args[0] === "serve") args.shift();
    return await serve(args, env, io);
  }
  const name = args.length > 1 && COMMANDS[`${args[0]} ${args[1]}`] ? `${args[0]} ${args[1]}` : args[0];
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`sluice: unknown command "${args.slice(0, 2).join(" ")}" (sluice --help lists them)`);
    return 2;
  }
  const rest = args.slice(name.split(" ").length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(command.usage);
    return 0;
  }
  let config: Config;
  try {
    parseFlagsOnly(command, rest);
    config = loadConfig(env);
  } catch (e) {
    return fail(io, e);
  }
  // CLI output is for the operator: only warnings and errors go to stderr.
  const log = createLogger({ level: "warn", format: config.logFormat });
  let deps;
  try {
    deps = await openDeps(config, { log });
  } catch (e) {
    return fail(io, e);
  }
  try {
    await command.run(deps, rest, io);
    return 0;
  } catch (e) {
    return fail(io, e);
  } finally {
    await deps.db.close();
  }
}

// Checks flag names before opening the store, so a typo fails fast with exit 2 and touches nothing.
// Each command parses its own values again with parseFlags() when it runs.
function parseFlagsOnly(command: StoreCommand, rest: string[]) {
  const known = new Set([...command.usage.matchAll(/--([a-z-]+)/g)].map((m) => m[1]));
  for (const a of rest) {
    if (!a.startsWith("--")) continue;
    const flag = a.slice(2).split("=")[0];
    if (!known.has(flag)) throw new UsageError(`unknown option "--${flag}"`);
  }
}

async function serve(args: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  let config: Config;
  try {
    const f = parseFlags(args, {});
    if (f.help) {
      io.stdout(SERVE_USAGE);
      return 0;
    }
    config = loadConfig(env);
  } catch (e) {
    return fail(io, e);
  }
  let server;
  try {
    const deps = await openDeps(config);
    server = await startServer(deps, { port: config.port, hostname: config.host });
  } catch (e) {
    return fail(io, e);
  }
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (deadline !== undefined) {
      io.stderr("second signal: exiting now");
      Deno.exit(1);
    }
    io.stderr("shutting down: finishing in-flight requests");
    // A shutdown that hangs (a request or the store waiting on a database that is gone) never keeps the
    // process alive: it exits anyway after SHUTDOWN_DEADLINE_MS.
    deadline = setTimeout(function forceExit() {
      io.stderr(`shutdown did not finish in ${SHUTDOWN_DEADLINE_MS / 1000} s: exiting`);
      Deno.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    Deno.unrefTimer(deadline);
    server.shutdown().catch(function shutdownFailed(e) {
      io.stderr(`shutdown failed: ${(e as Error)?.message ?? e}`);
      Deno.exit(1);
    });
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) {
    try {
      Deno.addSignalListener(s, stop);
    } catch {
      // Platforms without signals (Windows for SIGTERM, Deno Deploy) stop the process their own way.
    }
  }
  await server.finished;
  await server.shutdown();
  clearTimeout(deadline);
  for (const s of signals) {
    try {
      Deno.removeSignalListener(s, stop);
    } catch { /* see above */ }
  }
  return 0;
}

const HEALTHCHECK_USAGE = `sluice healthcheck
  Exits 0 when http://127.0.0.1:$PORT/healthz answers 200, else 1 (for Docker's HEALTHCHECK).`;

async function healthcheck(
  args: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  try {
    const f = parseFlags(args, {});
    if (f.help) {
      io.stdout(HEALTHCHECK_USAGE);
      return 0;
    }
    const config = loadConfig(env);
    const res = await fetch(`http://127.0.0.1:${config.port}/healthz`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    if (res.ok) return 0;
    io.stderr(`sluice: /healthz answered ${res.status}`);
    return 1;
  } catch (e) {
    return fail(
      io,
      e instanceof TypeError || (e as Error).name === "TimeoutError" ? new UnreachableError(e) : e,
    );
  }
}

/** A failure to reach the server: reported in one line, exit 1. */
class UnreachableError extends AppError {
  constructor(cause: unknown) {
    super("unreachable", `server unreachable: ${(cause as Error).message}`, { status: 503, expose: true });
  }
}

function fail(io: CliIo, e: unknown): number {
  if (e instanceof UsageError) {
    io.stderr(`sluice: ${e.message}`);
    return 2;
  }
  if (e instanceof ConfigError || e instanceof StoreLockedError || (e instanceof AppError && e.expose)) {
    io.stderr(`sluice: ${e.message}`);
    return 1;
  }
  io.stderr(`sluice: ${(e as Error)?.stack ?? String(e)}`);
  return 1;
}
