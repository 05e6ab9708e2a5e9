import { randomToken, sha256Hex } from "../auth/crypto.ts";
import { cliPrincipal } from "../auth/principal.ts";
import type { Deps } from "../deps.ts";
import { AppError, ConflictError } from "../errors.ts";
import { inTransaction, type Queryable } from "../store/db.ts";
import { countUsers } from "../store/users_repo.ts";
import { createUser } from "./users.ts";
import { createWorkspace } from "./workspaces.ts";

const FIRST_ADMIN_LOCK_KEY = 727_001_43;

/** How long a setup link works: long enough to finish a first deployment, short enough to leak little. */
export const SETUP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

// Serialises instances that start at once on one PostgreSQL, so they agree on a single setup token.
const SETUP_TOKEN_LOCK_KEY = 727_001_44;

/**
 * First start: with SLUICE_ADMIN_EMAIL/PASSWORD, creates that admin and a first workspace; otherwise
 * makes sure one setup token is live (24 hours, stored hashed) and logs its `/setup?token=` link when
 * it is new. A restart while that token is still live cannot show it again (only its hash is kept), so
 * it says when it expires and how to get a new one. Never a default password.
 * Returns the setup link when one was made (for tests), null otherwise.
 */
export async function bootstrap(deps: Deps): Promise<string | null> {
  if (await countUsers(deps.db) > 0) return null;
  const { adminEmail, adminPassword } = deps.config;
  if (adminEmail && adminPassword) {
    try {
      await createFirstAdmin(deps, {
        email: adminEmail,
        password: adminPassword,
        workspaceName: "My workspace",
      });
      deps.log.info("created the first admin from SLUICE_ADMIN_EMAIL", { email: adminEmail });
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e; // another instance created it first
    }
    return null;
  }
  const { live, fresh } = await deps.db.transaction(async function oneSetupToken(tx) {
    await tx.query("select pg_advisory_xact_lock($1)", [SETUP_TOKEN_LOCK_KEY]);
    // Under the lock again: an admin created since the first look needs no setup link.
    if (await countUsers(tx) > 0) return { live: null, fresh: null };
    const live = await liveSetupTokenCreatedAt(tx, deps.clock.now());
    return { live, fresh: live ? null : await mintSetupToken(tx, deps) };
  });
  if (fresh) {
    // The one place a secret is logged on purpose: the operator needs this link to create the first admin.
    deps.log.warn(
      `No user exists yet. Create the first admin at ${fresh.link} ` +
        `(works once, until ${fresh.expiresAt.toISOString()})`,
    );
    return fresh.link;
  }
  if (!live) return null; // an admin was created meanwhile
  const since = live;
  deps.log.warn(
    `No user exists yet. A setup link was printed at ${since.toISOString()} and works until ` +
      `${new Date(since.getTime() + SETUP_TOKEN_TTL_MS).toISOString()}; only its hash is kept, so it ` +
      `cannot be shown again. Lost it? \`sluice setup-link\` (\`deno task cli setup-link\` in a ` +
      `source checkout) makes a new one; on the embedded store, stop the server first.`,
  );
  return null;
}

/**
 * Issues a new setup link and invalidates any earlier one (`sluice setup-link`, for an operator who
 * lost the link the server printed). Refused once an admin exists.
 */
export async function issueSetupLink(deps: Deps): Promise<{ link: string; expiresAt: Date }> {
  return await deps.db.transaction(async function newSetupToken(tx) {
    await tx.query("select pg_advisory_xact_lock($1)", [SETUP_TOKEN_LOCK_KEY]);
    if (await countUsers(tx) > 0) {
      throw new ConflictError("Setup is already done: sign in at /login instead");
    }
    return await mintSetupToken(tx, deps);
  });
}

async function liveSetupTokenCreatedAt(tx: Queryable, now: Date): Promise<Date | null> {
  const rows = await tx.query<{ created_at: Date | string }>(
    "select created_at from setup_tokens where used_at is null and created_at > $1 order by created_at desc limit 1",
    [new Date(now.getTime() - SETUP_TOKEN_TTL_MS)],
  );
  return rows[0] ? new Date(rows[0].created_at) : null;
}

// Keeps exactly one unused token: the new one.
async function mintSetupToken(tx: Queryable, deps: Deps) {
  const token = randomToken(24);
  const now = deps.clock.now();
  await tx.query("delete from setup_tokens where used_at is null");
  await tx.query("insert into setup_tokens (token_hash, created_at) values ($1, $2)", [
    await sha256Hex(token),
    now,
  ]);
  return {
    link: `${deps.config.publicUrl}/setup?token=${token}`,
    expiresAt: new Date(now.getTime() + SETUP_TOKEN_TTL_MS),
  };
}

/** Creates an admin user and their first workspace in one transaction. */
async function createFirstAdmin(
  deps: Deps,
  input: { email: string; password: string; workspaceName: string; workspaceSlug?: string | null },
) {
  return await deps.db.transaction(async function firstAdmin(tx) {
    // Two instances starting at once on one PostgreSQL: the lock makes the second see the first's admin.
    await tx.query("select pg_advisory_xact_lock($1)", [FIRST_ADMIN_LOCK_KEY]);
    if (await countUsers(tx) > 0) throw new ConflictError("Setup is already done: sign in instead");
    const user = await createUser(tx, { email: input.email, password: input.password, isAdmin: true });
    const workspace = await createWorkspace(
      { ...deps, db: inTransaction(deps.db, tx), principal: cliPrincipal(user), requestId: "setup" },
      { name: input.workspaceName, slug: input.workspaceSlug || null },
    );
    return { user, workspace };
  });
}

/**
 * Spends a live setup token: creates the first admin and workspace (with its slug, when given); then every
 * setup token is spent.
 */
export async function completeSetup(
  deps: Deps,
  input: {
    token: string;
    email: string;
    password: string;
    workspaceName: string;
    workspaceSlug?: string | null;
  },
) {
  const hash = await sha256Hex(input.token);
  return await deps.db.transaction(async function setup(tx) {
    const rows = await tx.query(
      "select 1 from setup_tokens where token_hash = $1 and used_at is null and created_at > $2 for update",
      [hash, new Date(deps.clock.now().getTime() - SETUP_TOKEN_TTL_MS)],
    );
    if (rows.length === 0) {
      throw new AppError(
        "invalid_setup_token",
        "This setup link is invalid, expired or was already used. Restarting the server prints a new " +
          "one once the old one expired; `sluice setup-link` makes one at once.",
        { status: 403 },
      );
    }
    const result = await createFirstAdmin({ ...deps, db: inTransaction(deps.db, tx) }, {
      email: input.email,
      password: input.password,
      workspaceName: input.workspaceName || "My workspace",
      workspaceSlug: input.workspaceSlug,
    });
    await tx.query("update setup_tokens set used_at = now() where used_at is null");
    return result;
  });
}
