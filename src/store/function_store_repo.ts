import type { Queryable } from "./db.ts";

/** One `ctx.store` entry. */
export interface FunctionStoreRow {
  value: unknown;
  expires_at: Date | null;
}

/** The live (unexpired at `now`) entry of `key`, if any. */
export async function selectStoreEntry(
  db: Queryable,
  workspaceId: string,
  key: string,
  now: Date,
): Promise<FunctionStoreRow | undefined> {
  const rows = await db.query<FunctionStoreRow>(
    `select value, expires_at from function_store
      where workspace_id = $1 and key = $2 and (expires_at is null or expires_at > $3)`,
    [workspaceId, key, now],
  );
  return rows[0];
}

/** Inserts or replaces `key`; `valueJson` is JSON text. */
export async function upsertStoreEntry(
  db: Queryable,
  workspaceId: string,
  key: string,
  valueJson: string,
  expiresAt: Date | null,
  now: Date,
): Promise<void> {
  await db.query(
    `insert into function_store (workspace_id, key, value, expires_at, updated_at)
     values ($1, $2, $3::jsonb, $4, $5)
     on conflict (workspace_id, key)
     do update set value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
    [workspaceId, key, valueJson, expiresAt, now],
  );
}

export async function deleteStoreEntry(db: Queryable, workspaceId: string, key: string): Promise<void> {
  await db.query("delete from function_store where workspace_id = $1 and key = $2", [workspaceId, key]);
}

/** Removes expired entries (all workspaces); returns how many. */
export async function deleteExpiredStoreEntries(db: Queryable, now: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `with gone as (delete from function_store where expires_at <= $1 returning 1)
     select count(*)::int as n from gone`,
    [now],
  );
  return Number(rows[0]?.n ?? 0);
}
