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

const COMMANDS: Record<string, StoreCommand> = {
  "migrate": migrateCommand,
  "user create": userCreate,
  "workspace create": workspaceCreate,
  "apikey create": apikeyCreate,
  "apikey list": apikeyList,
  "apikey revoke": apikeyRevoke,
  "secrets rotate-pepper": secretsRotatePepper,
};

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
  const stop = () => {
    io.stderr("shutting down: finishing in-flight requests");
    server.shutdown();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  await server.shutdown();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
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
