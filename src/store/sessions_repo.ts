import type { Queryable } from "./db.ts";

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  expires_at: Date;
  last_seen_at: Date;
}

export async function insertSession(db: Queryable, s: SessionRow): Promise<void> {
  await db.query(
    "insert into sessions (id, user_id, created_at, expires_at, last_seen_at) values ($1, $2, $3, $4, $5)",
    [s.id, s.user_id, s.created_at, s.expires_at, s.last_seen_at],
  );
}

/** A live session with its user's email and admin flag. */
export async function findSession(db: Queryable, id: string, now: Date) {
  const rows = await db.query<SessionRow & { email: string; is_admin: boolean }>(
    `select s.*, u.email, u.is_admin from sessions s join users u on u.id = s.user_id
      where s.id = $1 and s.expires_at > $2`,
    [id, now],
  );
  return rows[0] ?? null;
}

export async function touchSession(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query("update sessions set last_seen_at = $2 where id = $1", [id, at]);
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.query("delete from sessions where id = $1", [id]);
}

export async function deleteExpiredSessions(db: Queryable, now: Date): Promise<void> {
  await db.query("delete from sessions where expires_at <= $1", [now]);
}

export interface LoginAttemptRow {
  key: string;
  failures: number;
  first_failure_at: Date;
  locked_until: Date | null;
}

export async function findLoginAttempts(db: Queryable, keys: string[]): Promise<LoginAttemptRow[]> {
  return await db.query<LoginAttemptRow>("select * from login_attempts where key = any($1::text[])", [keys]);
}

/** Counts one failure for `key` and returns the new count (a window older than `since` restarts at 1). */
export async function recordLoginFailure(
  db: Queryable,
  key: string,
  at: Date,
  since: Date,
): Promise<number> {
  const rows = await db.query<{ failures: number }>(
    `insert into login_attempts (key, failures, first_failure_at) values ($1, 1, $2)
     on conflict (key) do update set
       failures = case when login_attempts.first_failure_at < $3 then 1 else login_attempts.failures + 1 end,
       first_failure_at = case when login_attempts.first_failure_at < $3 then $2
                          else login_attempts.first_failure_at end
     returning failures`,
    [key, at, since],
  );
  return Number(rows[0].failures);
}

export async function lockLogin(db: Queryable, key: string, until: Date): Promise<void> {
  await db.query("update login_attempts set locked_until = $2 where key = $1", [key, until]);
}

export async function clearLoginAttempts(db: Queryable, key: string): Promise<void> {
  await db.query("delete from login_attempts where key = $1", [key]);
}
