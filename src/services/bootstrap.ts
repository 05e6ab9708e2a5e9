import { randomToken, sha256Hex } from "../auth/crypto.ts";
import { cliPrincipal } from "../auth/principal.ts";
import type { Deps } from "../deps.ts";
import { AppError, ConflictError } from "../errors.ts";
import { inTransaction } from "../store/db.ts";
import { countUsers } from "../store/users_repo.ts";
import { createUser } from "./users.ts";
import { createWorkspace } from "./workspaces.ts";

const FIRST_ADMIN_LOCK_KEY = 727_001_43;

/**
 * First start: with SLUICE_ADMIN_EMAIL/PASSWORD, creates that admin and a first workspace; otherwise
 * mints a one-time setup token and logs the `/setup?token=` link. Never a default password.
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
  const token = randomToken(24);
  await deps.db.query("insert into setup_tokens (token_hash) values ($1)", [await sha256Hex(token)]);
  const link = `${deps.config.publicUrl}/setup?token=${token}`;
  // The one place a secret is logged on purpose: the operator needs this link to create the first admin.
  deps.log.warn(`No user exists yet. Create the first admin at ${link} (valid until used)`);
  return link;
}

/** Creates an admin user and their first workspace in one transaction. */
async function createFirstAdmin(
  deps: Deps,
  input: { email: string; password: string; workspaceName: string },
) {
  return await deps.db.transaction(async function firstAdmin(tx) {
    // Two instances starting at once on one PostgreSQL: the lock makes the second see the first's admin.
    await tx.query("select pg_advisory_xact_lock($1)", [FIRST_ADMIN_LOCK_KEY]);
    if (await countUsers(tx) > 0) throw new ConflictError("Setup is already done: sign in instead");
    const user = await createUser(tx, { email: input.email, password: input.password, isAdmin: true });
    const workspace = await createWorkspace(
      { ...deps, db: inTransaction(deps.db, tx), principal: cliPrincipal(user), requestId: "setup" },
      { name: input.workspaceName },
    );
    return { user, workspace };
  });
}

/** Spends a setup token: creates the first admin and workspace; then every setup token is spent. */
export async function completeSetup(
  deps: Deps,
  input: { token: string; email: string; password: string; workspaceName: string },
) {
  const hash = await sha256Hex(input.token);
  return await deps.db.transaction(async function setup(tx) {
    const rows = await tx.query(
      "select 1 from setup_tokens where token_hash = $1 and used_at is null for update",
      [hash],
    );
    if (rows.length === 0) {
      throw new AppError("invalid_setup_token", "This setup link is invalid or was already used", {
        status: 403,
      });
    }
    const result = await createFirstAdmin({ ...deps, db: inTransaction(deps.db, tx) }, {
      email: input.email,
      password: input.password,
      workspaceName: input.workspaceName || "My workspace",
    });
    await tx.query("update setup_tokens set used_at = now() where used_at is null");
    return result;
  });
}
