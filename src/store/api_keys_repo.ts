import type { Queryable } from "./db.ts";
import { type Rehash, touchKey } from "./key_touch.ts";

export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string | null;
  hint: string;
  salt: string;
  hash: string;
  pepper_id: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export async function insertApiKey(
  db: Queryable,
  k: Omit<ApiKeyRow, "created_at" | "last_used_at" | "revoked_at"> & { created_at: Date },
): Promise<ApiKeyRow> {
  const rows = await db.query<ApiKeyRow>(
    `insert into api_keys (id, user_id, name, hint, salt, hash, pepper_id, created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *`,
    [k.id, k.user_id, k.name, k.hint, k.salt, k.hash, k.pepper_id, k.created_at, k.expires_at],
  );
  return rows[0];
}

/** A key row with its owner's identity: what authentication needs. */
export type ApiKeyWithUser = ApiKeyRow & { user_email: string; user_is_admin: boolean };

/** The key with its user's identity in one round trip: authentication runs on every request. */
export async function findApiKeyWithUser(db: Queryable, id: string): Promise<ApiKeyWithUser | null> {
  const rows = await db.query<ApiKeyWithUser>(
    `select k.*, u.email as user_email, u.is_admin as user_is_admin
       from api_keys k join users u on u.id = k.user_id where k.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export async function findApiKey(db: Queryable, id: string): Promise<ApiKeyRow | null> {
  const rows = await db.query<ApiKeyRow>("select * from api_keys where id = $1", [id]);
  return rows[0] ?? null;
}

/** The user's live keys (not revoked), newest first. */
export async function listApiKeys(db: Queryable, userId: string): Promise<ApiKeyRow[]> {
  return await db.query<ApiKeyRow>(
    "select * from api_keys where user_id = $1 and revoked_at is null order by created_at desc, id",
    [userId],
  );
}

export async function updateApiKey(
  db: Queryable,
  id: string,
  userId: string,
  patch: { name?: string | null; expiresAt?: Date | null },
): Promise<ApiKeyRow | null> {
  const rows = await db.query<ApiKeyRow>(
    `update api_keys set
        name = case when $3::boolean then $4 else name end,
        expires_at = case when $5::boolean then $6::timestamptz else expires_at end
      where id = $1 and user_id = $2 and revoked_at is null returning *`,
    [
      id,
      userId,
      patch.name !== undefined,
      patch.name ?? null,
      patch.expiresAt !== undefined,
      patch.expiresAt ?? null,
    ],
  );
  return rows[0] ?? null;
}

export async function revokeApiKey(
  db: Queryable,
  id: string,
  userId: string | null,
  at: Date,
): Promise<boolean> {
  const rows = await db.query(
    `update api_keys set revoked_at = $3 where id = $1 and ($2::text is null or user_id = $2)
        and revoked_at is null returning id`,
    [id, userId, at],
  );
  return rows.length > 0;
}

/** Records a use of a personal API key (see touchKey). */
export function touchApiKey(db: Queryable, id: string, at: Date, rehash?: Rehash): Promise<void> {
  return touchKey(db, "api_keys", id, at, rehash);
}
