/** One-time password reset links (table password_resets, migration 11): only a SHA-256 of the token is kept. */
import type { Queryable } from "./db.ts";

export async function insertPasswordReset(
  db: Queryable,
  r: { tokenHash: string; userId: string; now: Date; expiresAt: Date },
): Promise<void> {
  // One live link per user: a new one replaces the earlier.
  await db.query("delete from password_resets where user_id = $1 and used_at is null", [r.userId]);
  await db.query(
    "insert into password_resets (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)",
    [r.tokenHash, r.userId, r.now, r.expiresAt],
  );
}

/** The user id of a live reset link, the row locked for the transaction. */
export async function findLivePasswordReset(
  db: Queryable,
  tokenHash: string,
  now: Date,
): Promise<string | null> {
  const rows = await db.query<{ user_id: string }>(
    "select user_id from password_resets where token_hash = $1 and used_at is null and expires_at > $2 for update",
    [tokenHash, now],
  );
  return rows[0]?.user_id ?? null;
}

export async function markPasswordResetUsed(db: Queryable, tokenHash: string, now: Date): Promise<void> {
  await db.query("update password_resets set used_at = $2 where token_hash = $1", [tokenHash, now]);
}

/** Ends every login session of a user but `keepSessionId` (after a password change). */
export async function deleteUserSessions(
  db: Queryable,
  userId: string,
  keepSessionId: string | null,
): Promise<void> {
  await db.query("delete from sessions where user_id = $1 and ($2::text is null or id <> $2)", [
    userId,
    keepSessionId,
  ]);
}
