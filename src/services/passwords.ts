/**
 * Passwords: a signed-in user changes theirs (current password required), and the operator's
 * `sluice user reset-password --email E` makes a one-time link (`/reset-password?token=`, 1 hour,
 * stored hashed) where the user chooses a new one. Either way the user's other login sessions end.
 */
import * as v from "valibot";
import { randomToken, sha256Hex } from "../auth/crypto.ts";
import { hashPassword, verifyPassword } from "../auth/password.ts";
import type { Ctx, Deps } from "../deps.ts";
import { AppError, NotFoundError, ValidationError } from "../errors.ts";
import {
  deleteUserSessions,
  findLivePasswordReset,
  insertPasswordReset,
  markPasswordResetUsed,
} from "../store/password_resets_repo.ts";
import { findUserByEmail, findUserById, setUserPassword } from "../store/users_repo.ts";
import { parseInput } from "../validation.ts";
import { EmailSchema, PasswordSchema } from "./users.ts";

/** How long a reset link works. */
export const PASSWORD_RESET_TTL_MS = 3600 * 1000;

export const PasswordChangeInput = v.object({
  currentPassword: v.pipe(v.string("must be a string"), v.minLength(1, "required")),
  newPassword: PasswordSchema,
});

/**
 * Changes the caller's password after checking the current one. `keepSessionId`: the session making
 * the change stays signed in; every other session of the user ends.
 */
export async function changePassword(
  ctx: Ctx,
  input: unknown,
  { keepSessionId = null }: { keepSessionId?: string | null } = {},
): Promise<{ changed: true }> {
  const q = parseInput(PasswordChangeInput, input, "Cannot change password");
  const user = await findUserById(ctx.db, ctx.principal.userId);
  if (!user || !(await verifyPassword(q.currentPassword, user.password_hash))) {
    throw new ValidationError("Cannot change password: currentPassword: is not your current password", [
      { path: "currentPassword", message: "is not your current password" },
    ]);
  }
  const hash = await hashPassword(q.newPassword);
  await ctx.db.transaction(async function change(tx) {
    await setUserPassword(tx, user.id, hash);
    await deleteUserSessions(tx, user.id, keepSessionId);
  });
  return { changed: true };
}

/** A new one-time reset link for the user with this email (the operator's CLI). */
export async function issuePasswordReset(
  deps: Deps,
  input: { email: string },
): Promise<{ link: string; expiresAt: Date }> {
  const q = parseInput(v.object({ email: EmailSchema }), input, "Cannot reset password");
  const user = await findUserByEmail(deps.db, q.email);
  if (!user) throw new NotFoundError(`Cannot reset password: no user has the email "${q.email}"`);
  const token = randomToken(24);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + PASSWORD_RESET_TTL_MS);
  await insertPasswordReset(deps.db, { tokenHash: await sha256Hex(token), userId: user.id, now, expiresAt });
  return { link: `${deps.config.publicUrl}/reset-password?token=${token}`, expiresAt };
}

function invalidLink(): AppError {
  return new AppError(
    "invalid_reset_token",
    "This password reset link is invalid, expired or was already used; ask the operator for a new one " +
      "(`sluice user reset-password --email <you>`).",
    { status: 403 },
  );
}

/** The email a live reset link is for (the page shows it), or a 403 when the link does not work. */
export async function passwordResetEmail(deps: Deps, token: string): Promise<string> {
  const userId = await findLivePasswordReset(deps.db, await sha256Hex(token), deps.clock.now());
  const user = userId ? await findUserById(deps.db, userId) : null;
  if (!user) throw invalidLink();
  return user.email;
}

/** Spends a reset link: sets the new password and ends every session of the user. */
export async function completePasswordReset(
  deps: Deps,
  input: { token: string; password: unknown },
): Promise<{ email: string }> {
  const q = parseInput(
    v.object({ token: v.string(), password: PasswordSchema }),
    input,
    "Cannot reset password",
  );
  const tokenHash = await sha256Hex(q.token);
  const hash = await hashPassword(q.password);
  return await deps.db.transaction(async function reset(tx) {
    const now = deps.clock.now();
    const userId = await findLivePasswordReset(tx, tokenHash, now);
    const user = userId ? await findUserById(tx, userId) : null;
    if (!user) throw invalidLink();
    await setUserPassword(tx, user.id, hash);
    await markPasswordResetUsed(tx, tokenHash, now);
    await deleteUserSessions(tx, user.id, null);
    return { email: user.email };
  });
}
