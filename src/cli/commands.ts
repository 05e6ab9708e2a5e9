import { cliPrincipal } from "../auth/principal.ts";
import { rotateStoredPepper } from "../auth/secrets.ts";
import type { Ctx, Deps } from "../deps.ts";
import { NotFoundError } from "../errors.ts";
import { createApiKey, listApiKeys } from "../services/api_keys.ts";
import { createUser } from "../services/users.ts";
import { createWorkspace } from "../services/workspaces.ts";
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

export const migrateCommand: StoreCommand = {
  usage: `sluice migrate
  Applies pending database migrations (they also run on every start) and exits.`,
  run(_deps, args, io) {
    // openDeps() already applied the pending migrations before any command runs.
    parseFlags(args, {});
    io.stdout("migrations are up to date");
    return Promise.resolve();
  },
};
