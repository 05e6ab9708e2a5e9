import type { Queryable } from "./db.ts";

/** A secret's new salt and hash under the current pepper. */
export interface Rehash {
  salt: string;
  hash: string;
  pepperId: string;
}

/**
 * Records a use of a personal API key (ids are global); with `rehash`, also moves it to the current
 * pepper, which is how a pepper rotation reaches keys that are in use. Stream write keys, whose ids are
 * unique per workspace only, have touchStreamKey() (stream_keys_repo.ts).
 */
export async function touchKey(
  db: Queryable,
  table: "api_keys",
  id: string,
  at: Date,
  rehash?: Rehash,
): Promise<void> {
  if (rehash) {
    await db.query(
      `update ${table} set last_used_at = $2, salt = $3, hash = $4, pepper_id = $5 where id = $1`,
      [id, at, rehash.salt, rehash.hash, rehash.pepperId],
    );
  } else {
    await db.query(`update ${table} set last_used_at = $2 where id = $1`, [id, at]);
  }
}
