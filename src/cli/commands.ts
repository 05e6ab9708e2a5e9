import { cliPrincipal } from "../auth/principal.ts";
import { rotateStoredPepper } from "../auth/secrets.ts";
import type { Ctx, Deps } from "../deps.ts";
import { NotFoundError } from "../errors.ts";
import { createApiKey, listApiKeys } from "../services/api_keys.ts";
import { createUser } from "../services/users.ts";
import { createWorkspace } from "../services/workspaces.ts";
import { issueSetupLink } from "../services/bootstrap.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../log.ts";
import { loadMigrations, migrate, versionLabel } from "../store/migrate.ts";
import { openStore } from "../store/open.ts";
import { revokeApiKey as revokeApiKeyRow } from "../store/api_keys_repo.ts";
import { findUserByEmail } from "../store/users_repo.ts";
import { parseExpires, parseFlags, required } from "./args.ts";
import { type CliIo, UsageError } from "./io.ts";

/** A CLI command that works on an open store. */
export interface StoreCommand {
  usage: string;
  run(deps: Deps, args: string[], io: CliIo): Promise<void>;
}

async function ctxFor(deps: Deps, email: string): Promise<Ctx> {
  const user = await findUserByEmail(deps.db, email);
  if (!user) throw new NotFoundError(`No user with email "${email}"`);
  return { ...deps, principal: cliPrincipal(user), requestId: "cli", channel: "cli" };
}

export const userCreate: StoreCommand = {
  usage: `sluice user create --email E [--password-stdin] [--admin] [--name N]
  Creates a user. The password is read from stdin with --password-stdin, else asked for at the terminal.`,
  async run(deps, args, io) {
    const f = parseFlags(args, {
      email: { type: "string" },
      name: { type: "string" },
      "password-stdin": { type: "boolean" },
      admin: { type: "boolean" },
    });
    const email = required(f, "email");
    let password: string | null;
    if (f["password-stdin"]) password = (await io.readStdin()).replace(/\r?\n$/, "");
    else {
      password = await io.promptSecret("Password: ");
      if (password === null) {
        throw new UsageError("no terminal to ask for a password: pass it with --password-stdin");
      }
    }
    const user = await createUser(deps.db, {
      email,
      password,
      isAdmin: f.admin ?? false,
      name: f.name ?? null,
    });
    io.stdout(user.id);
  },
};

export const workspaceCreate: StoreCommand = {
  usage: `sluice workspace create --name N --owner E [--slug S]
  Creates a workspace owned by the user E and prints its id.`,
  async run(deps, args, io) {
    const f = parseFlags(args, {
      name: { type: "string" },
      owner: { type: "string" },
      slug: { type: "string" },
    });
    const ctx = await ctxFor(deps, required(f, "owner"));
    const w = await createWorkspace(ctx, { name: required(f, "name"), slug: f.slug ?? null });
    io.stdout(w.id);
  },
};

export const apikeyCreate: StoreCommand = {
  usage: `sluice apikey create --email E [--name N] [--expires never|30d|ISO date]
  Creates a personal API key and prints exactly keyId:keySecret (shown once; never stored in clear).`,
  async run(deps, args, io) {
    const f = parseFlags(args, {
      email: { type: "string" },
      name: { type: "string" },
      expires: { type: "string" },
    });
    const expiresAt = parseExpires(f.expires, deps.clock.now());
    const ctx = await ctxFor(deps, required(f, "email"));
    const key = await createApiKey(ctx, {
      name: f.name ?? null,
      expiresAt: expiresAt?.toISOString() ?? null,
    });
    io.stdout(key.plaintext);
  },
};

export const apikeyList: StoreCommand = {
  usage: `sluice apikey list --email E
  Lists the user's live keys: id, name, hint, created, last used, expiry. Never a secret.`,
  async run(deps, args, io) {
    const f = parseFlags(args, { email: { type: "string" } });
    const ctx = await ctxFor(deps, required(f, "email"));
    const keys = await listApiKeys(ctx);
    io.stdout(["ID", "NAME", "HINT", "CREATED", "LAST USED", "EXPIRES"].join("\t"));
    for (const k of keys) {
      io.stdout(
        [k.id, k.name ?? "-", k.hint, k.createdAt, k.lastUsed ?? "never", k.expiresAt ?? "never"].join("\t"),
      );
    }
  },
};

export const apikeyRevoke: StoreCommand = {
  usage: `sluice apikey revoke --id ID
  Revokes a key at once: the next request with it gets 401.`,
  async run(deps, args, io) {
    const f = parseFlags(args, { id: { type: "string" } });
    const id = required(f, "id");
    // Running servers forget the key when migration 0007's trigger notifies them, at commit.
    if (!(await revokeApiKeyRow(deps.db, id, null, deps.clock.now()))) {
      throw new NotFoundError(`API key "${id}" not found`);
    }
    io.stdout(`revoked ${id}`);
  },
};

export const secretsRotatePepper: StoreCommand = {
  usage: `sluice secrets rotate-pepper
  Makes a new stored pepper current (when SLUICE_PEPPER is not set). Keys re-hash on their next use.`,
  async run(deps, args, io) {
    parseFlags(args, {});
    if (deps.config.pepper) {
      throw new UsageError("SLUICE_PEPPER is set: rotate by putting the new pepper first in it");
    }
    io.stdout(`current pepper: ${await rotateStoredPepper(deps.db)}`);
  },
};

export const setupLink: StoreCommand = {
  usage: `sluice setup-link
  Prints a new one-time link to create the first admin (valid 24 hours); the link printed before stops
  working. Refused once an admin exists.`,
  async run(deps, args, io) {
    parseFlags(args, {});
    const { link, expiresAt } = await issueSetupLink(deps);
    io.stdout(link);
    io.stderr(`This link works once, until ${expiresAt.toISOString()}.`);
  },
};

/** A CLI command that may create the store (it needs no Deps: only the settings). */
export interface ConfigCommand {
  usage: string;
  createsStore: true;
  run(config: Config, args: string[], io: CliIo): Promise<void>;
}

export const migrateCommand: ConfigCommand = {
  usage: `sluice migrate
  Creates the store if needed, applies pending database migrations (they also run on every start) and
  exits, saying which it applied.`,
  createsStore: true,
  async run(config, args, io) {
    parseFlags(args, {});
    const log = createLogger({ level: "info", format: config.logFormat });
    const db = await openStore(config);
    try {
      const all = await loadMigrations();
      const applied = await migrate(db, all, {
        onApply: (m) => log.info(`applying migration ${versionLabel(m.version)}_${m.name}`),
      });
      io.stdout(migrateSummary(applied, all.at(-1)?.version ?? 0));
    } finally {
      await db.close();
    }
  },
};

/** `applied 9 migrations (0001..0009)`, `applied 1 migration (0009)` or `already up to date at 0009`. */
export function migrateSummary(applied: number[], latest: number): string {
  if (applied.length === 0) return `already up to date at ${versionLabel(latest)}`;
  const first = versionLabel(applied[0]);
  const last = versionLabel(applied.at(-1)!);
  if (applied.length === 1) return `applied 1 migration (${first})`;
  return `applied ${applied.length} migrations (${first}..${last})`;
}
