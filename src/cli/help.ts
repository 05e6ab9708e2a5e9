import { VERSION } from "../version.ts";

/** Something `sluice help` can describe: a command's usage text, starting with `sluice <name>`. */
export interface Described {
  usage: string;
}

export const SERVE_USAGE = `sluice serve
  Starts the server (the default with no command). Settings come from the environment: see README.`;

export const HEALTHCHECK_USAGE = `sluice healthcheck
  Exits 0 when http://127.0.0.1:$PORT/healthz answers 200, else 1 (for Docker's HEALTHCHECK).`;

const HELP = `Sluice ${VERSION}: a Jitsu-compatible event-pipeline console for AI agents.

Usage: sluice <command> [flags]     (sluice <command> --help, or sluice help <command>, for one command)

Commands:
  serve                  start the server (default)
  migrate                apply database migrations and exit
  setup-link             print a new link to create the first admin (the old one stops working)
  user create            create a user
  user reset-password    print a one-time link to choose a new password
  workspace create       create a workspace and print its id
  workspace add-member   add a user to a workspace (or print an invite link)
  apikey create          create a personal API key and print keyId:keySecret
  apikey list            list a user's API keys
  apikey revoke          revoke an API key
  secrets rotate-pepper  start hashing new keys with a new pepper
  deadletter list        list deliveries that failed every retry
  deadletter replay      put dead letters back on the queue
  healthcheck            exit 0 when the local server's /healthz answers 200 (Docker HEALTHCHECK)

The store is DATABASE_URL (PostgreSQL) or the embedded one in DATA_DIR (default .sluice). Only serve and
migrate create a store; the other commands use the one the settings point at.`;

/**
 * The help text for `words` (`[]`, `["apikey"]`, `["apikey", "create"]`): the overview, a group's
 * commands, or one command's usage; null when no command or group has that name.
 */
export function helpFor(words: string[], commands: Record<string, Described>): string | null {
  const name = words.join(" ");
  if (name === "") return HELP;
  if (name === "serve") return SERVE_USAGE;
  if (name === "healthcheck") return HEALTHCHECK_USAGE;
  if (commands[name]) return commands[name].usage;
  const members = groupMembers(name, commands);
  if (members.length === 0) return null;
  return [`Commands of sluice ${name}:`, ...members.map((m) => commands[m].usage)].join("\n\n");
}

/** The full names of the commands in group `name` (`apikey` -> `apikey create`, `apikey list`, ...). */
export function groupMembers(name: string, commands: Record<string, unknown>): string[] {
  return Object.keys(commands).filter((k) => k.startsWith(`${name} `));
}
