/**
 * Accepting a workspace invite (made by addMember in src/services/members.ts): the page `/invite?token=`
 * shows the workspace and email, the person chooses a password, and the account is created with the
 * invite's role, in one transaction that spends the link.
 */
import * as v from "valibot";
import { sha256Hex } from "../auth/crypto.ts";
import { cliPrincipal } from "../auth/principal.ts";
import type { Deps } from "../deps.ts";
import { AppError, ConflictError } from "../errors.ts";
import { inTransaction } from "../store/db.ts";
import { findLiveInvite, markInviteUsed } from "../store/members_repo.ts";
import { findUserByEmail } from "../store/users_repo.ts";
import { addMember } from "../store/workspaces_repo.ts";
import { parseInput } from "../validation.ts";
import { recordAudit } from "./audit.ts";
import { createUser, PasswordSchema } from "./users.ts";

function invalidInvite(): AppError {
  return new AppError(
    "invalid_invite",
    "This invite link is invalid, expired or was already used; ask a workspace owner for a new one.",
    { status: 403 },
  );
}

/** What a live invite is for (the page shows it); 403 when the link does not work. */
export async function inviteDetails(
  deps: Deps,
  token: string,
): Promise<{ email: string; role: string; workspaceName: string }> {
  const rows = await deps.db.query<{ email: string; role: string; name: string }>(
    `select i.email, i.role, w.name from workspace_invites i join workspaces w on w.id = i.workspace_id
      where i.token_hash = $1 and i.used_at is null and i.expires_at > $2`,
    [await sha256Hex(token), deps.clock.now()],
  );
  if (!rows[0]) throw invalidInvite();
  return { email: rows[0].email, role: rows[0].role, workspaceName: rows[0].name };
}

/** Spends an invite: creates the account with the chosen password and makes it a member. */
export async function acceptInvite(
  deps: Deps,
  input: { token: string; password: unknown; name?: string | null },
): Promise<{ userId: string; email: string; workspaceId: string }> {
  const q = parseInput(
    v.object({ token: v.string(), password: PasswordSchema, name: v.optional(v.nullable(v.string())) }),
    input,
    "Cannot accept invite",
  );
  const tokenHash = await sha256Hex(q.token);
  return await deps.db.transaction(async function accept(tx) {
    const now = deps.clock.now();
    const invite = await findLiveInvite(tx, tokenHash, now);
    if (!invite) throw invalidInvite();
    if (await findUserByEmail(tx, invite.email)) {
      throw new ConflictError(
        `Cannot accept invite: an account for "${invite.email}" exists already; sign in and ask an owner to add it`,
      );
    }
    const user = await createUser(tx, { email: invite.email, password: q.password, name: q.name ?? null });
    await addMember(tx, invite.workspace_id, user.id, invite.role);
    await markInviteUsed(tx, tokenHash, now);
    const ctx = {
      ...deps,
      db: inTransaction(deps.db, tx),
      principal: { ...cliPrincipal(user), via: { kind: "session" as const, sessionId: "invite" } },
      requestId: "invite",
    };
    await recordAudit({ ...ctx, channel: "ui" }, tx, {
      workspaceId: invite.workspace_id,
      action: "create",
      objectType: "member",
      objectId: user.id,
      before: null,
      after: { userId: user.id, email: user.email, role: invite.role, invite: true },
    });
    return { userId: user.id, email: user.email, workspaceId: invite.workspace_id };
  });
}
