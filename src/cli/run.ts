import { closeDeps, openDeps } from "../compose.ts";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { AppError } from "../errors.ts";
import { createLogger, type Logger } from "../log.ts";
import { openExistingStore, StoreLockedError, StoreMissingError } from "../store/open.ts";
import { VERSION } from "../version.ts";
import { parseFlags } from "./args.ts";
import type { ConfigCommand, StoreCommand } from "./commands.ts";
import { groupMembers, HEALTHCHECK_USAGE, helpFor, SERVE_USAGE } from "./help.ts";
import { type CliIo, processIo, UsageError } from "./io.ts";
import type { CronScheduler } from "../runtime/profile.ts";

/**
 * The HTTP app's module graph loads only to serve, so a CLI command does not wait for it. Not a literal
 * on purpose: Deno prepares the module graph of every literal `import()` as soon as the importing module
 * loads (about 0.3 s for the app's, docs/performance.md), which would put that cost back on each command.
 * `deno compile` embeds it through `--include` (deno.json's compile task).
 */
const SERVE_MODULE = "./serve.ts";

/**
 * The command modules: a command loads only its own, not the others' services. Not literals, for the
 * reason given at SERVE_MODULE; `deno compile` embeds them through `--include`.
 */
const COMMANDS_MODULE = "./commands.ts";
const MEMBERS_MODULE = "./members.ts";
const DEAD_LETTER_MODULE = "./dead_letter.ts";

type Command = StoreCommand | ConfigCommand;
type Loader = () => Promise<Record<string, unknown>>;
const core: Loader = () => import(COMMANDS_MODULE);
const members: Loader = () => import(MEMBERS_MODULE);
const deadLetter: Loader = () => import(DEAD_LETTER_MODULE);

/** Each command's module and the name it exports the command under. */
const COMMANDS: Record<string, [Loader, string]> = {
  "migrate": [core, "migrateCommand"],
  "setup-link": [core, "setupLink"],
  "user create": [core, "userCreate"],
  "user reset-password": [members, "userResetPassword"],
  "workspace create": [core, "workspaceCreate"],
  "workspace add-member": [members, "workspaceAddMember"],
  "apikey create": [core, "apikeyCreate"],
  "apikey list": [core, "apikeyList"],
  "apikey revoke": [core, "apikeyRevoke"],
  "secrets rotate-pepper": [core, "secretsRotatePepper"],
  "deadletter list": [deadLetter, "deadLetterList"],
  "deadletter replay": [deadLetter, "deadLetterReplay"],
};

async function loadCommand(name: string): Promise<Command> {
  const [load, exported] = COMMANDS[name];
  return (await load())[exported] as Command;
}

/** The commands named, loaded (for help texts). */
async function loadCommands(names: string[]): Promise<Record<string, Command>> {
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await loadCommand(n)])));
}

function isHelpFlag(a: string) {
  return a === "--help" || a === "-h";
}

/**
 * Runs one CLI invocation and returns its exit code: 0 ok, 1 failed, 2 bad usage.
 * `serve` returns only when the server has shut down (SIGINT/SIGTERM).
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
  { cron = null }: { cron?: CronScheduler | null } = {},
): Promise<number> {
  const args = [...argv];
  if (args[0] === "--version" || args[0] === "-V") {
    io.stdout(VERSION);
    return 0;
  }
  if (args[0] === "help" || (args.length === 1 && isHelpFlag(args[0]))) {
    return await printHelp(args.slice(1).filter((a) => !isHelpFlag(a)), io);
  }
  if (args[0] === "healthcheck") return await healthcheck(args.slice(1), env, io);
  if (args.length === 0 || args[0].startsWith("-") || args[0] === "serve") {
    if (args[0] === "serve") args.shift();
    return await runServe(args, env, io, cron);
  }
  const name = args.length > 1 && COMMANDS[`${args[0]} ${args[1]}`] ? `${args[0]} ${args[1]}` : args[0];
  if (!COMMANDS[name]) return await unknownCommand(args, io);
  const command = await loadCommand(name);
  const rest = args.slice(name.split(" ").length);
  if (rest.some(isHelpFlag)) {
    io.stdout(command.usage);
    return 0;
  }
  let config: Config;
  try {
    parseFlagsOnly(command, rest);
    config = loadConfig(env);
    if ("createsStore" in command) {
      await command.run(config, rest, io);
      return 0;
    }
  } catch (e) {
    return fail(io, e);
  }
  // CLI output is for the operator: only warnings and errors go to stderr.
  const log = createLogger({ level: "warn", format: config.logFormat });
  let deps;
  try {
    deps = await openDeps(config, { log, db: await openExistingStore(config) });
  } catch (e) {
    return fail(io, e);
  }
  try {
    await command.run(deps, rest, io);
    return 0;
  } catch (e) {
    return fail(io, e);
  } finally {
    await closeDeps(deps);
  }
}

async function printHelp(words: string[], io: CliIo): Promise<number> {
  const name = words.join(" ");
  // Only the usage texts shown are loaded: one command's, or its group's.
  const shown = COMMANDS[name] ? [name] : groupMembers(name, COMMANDS);
  const text = helpFor(words, await loadCommands(shown));
  if (text === null) return await unknownCommand(words, io);
  io.stdout(text);
  return 0;
}

// `sluice apikey` (a group without its command) shows the group's commands; anything else is a typo.
async function unknownCommand(args: string[], io: CliIo): Promise<number> {
  const group = groupMembers(args[0], COMMANDS);
  if (group.length && !args.slice(1).some((a) => !a.startsWith("-"))) {
    if (args.slice(1).some(isHelpFlag)) return await printHelp([args[0]], io);
    io.stderr(`sluice: "${args[0]}" needs a command: ${group.join(", ")} (sluice help ${args[0]})`);
    return 2;
  }
  io.stderr(`sluice: unknown command "${args.slice(0, 2).join(" ")}" (sluice --help lists them)`);
  return 2;
}

// Checks flag names before opening the store, so a typo fails fast with exit 2 and touches nothing.
// Each command parses its own values again with parseFlags() when it runs.
function parseFlagsOnly(command: { usage: string }, rest: string[]) {
  const known = new Set([...command.usage.matchAll(/--([a-z-]+)/g)].map((m) => m[1]));
  for (const a of rest) {
    if (!a.startsWith("--")) continue;
    const flag = a.slice(2).split("=")[0];
    if (!known.has(flag)) throw new UsageError(`unknown option "--${flag}"`);
  }
}

async function runServe(
  args: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  cron: CronScheduler | null,
) {
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
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  try {
    const { serve } = await import(SERVE_MODULE) as typeof import("./serve.ts");
    await serve(config, log, { cron });
    return 0;
  } catch (e) {
    return fail(io, e, config.logFormat === "json" ? log : undefined);
  }
}

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

// One line for an error the operator can act on, the stack for a bug; as a JSON log line when the
// server's log is JSON (`log` given), so that output stays machine-readable to its end.
function fail(io: CliIo, e: unknown, log?: Logger): number {
  const refused = refusedByPostgres(e);
  if (refused) e = refused;
  const expected = refused !== undefined || e instanceof UsageError || e instanceof ConfigError ||
    e instanceof StoreLockedError || e instanceof StoreMissingError || (e instanceof AppError && e.expose);
  if (log) log.error((e as Error)?.message ?? String(e), expected ? undefined : { error: e });
  else if (expected) io.stderr(`sluice: ${(e as Error).message}`);
  else io.stderr(`sluice: ${(e as Error)?.stack ?? String(e)}`);
  return e instanceof UsageError ? 2 : 1;
}

// SQLSTATE classes with which a PostgreSQL server refuses a connection for a reason the operator fixes in
// DATABASE_URL or on the server: 08 connection exception, 28 invalid authorization (wrong user or
// password), 3D invalid catalog name (no such database), 53 insufficient resources (too many connections),
// 57P03 cannot connect now (the server is starting).
const REFUSED_CLASSES = /^(08|28|3D|53)|^57P03$/;

/** A connection refused by the PostgreSQL server, as one line naming DATABASE_URL (never its password). */
function refusedByPostgres(e: unknown): Error | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if ((e as Error | null)?.name !== "PostgresError" || typeof code !== "string") return undefined;
  if (!REFUSED_CLASSES.test(code)) return undefined;
  return new Error(
    `The PostgreSQL server of DATABASE_URL refused the connection: ${(e as Error).message} (${code})`,
  );
}
