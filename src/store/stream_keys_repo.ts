import type { Queryable } from "./db.ts";
import { type Rehash, touchKey } from "./key_touch.ts";

export type StreamKeyKind = "browser" | "server";

/** A stream write key as stored: never the secret, only its salted, peppered hash. */
export interface StreamKeyRow {
  id: string;
  workspace_id: string;
  stream_id: string;
  kind: StreamKeyKind;
  hint: string;
  salt: string;
  hash: string;
  pepper_id: string;
  created_at: Date;
  last_used_at: Date | null;
}

export async function insertStreamKey(db: Queryable, k: Omit<StreamKeyRow, "last_used_at">): Promise<void> {
  await db.query(
    `insert into stream_keys (id, workspace_id, stream_id, kind, hint, salt, hash, pepper_id, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [k.id, k.workspace_id, k.stream_id, k.kind, k.hint, k.salt, k.hash, k.pepper_id, k.created_at],
  );
}

/** Replaces the secret of an existing key (a client sent a new plaintext for a known id). */
export async function rehashStreamKey(
  db: Queryable,
  id: string,
  h: { hint: string; salt: string; hash: string; pepper_id: string },
): Promise<void> {
  await db.query(
    "update stream_keys set hint = $2, salt = $3, hash = $4, pepper_id = $5 where id = $1",
    [id, h.hint, h.salt, h.hash, h.pepper_id],
  );
}

/** Keys of these streams of the workspace (stream ids are unique per workspace only), oldest first. */
export async function listStreamKeys(
  db: Queryable,
  workspaceId: string,
  streamIds: string[],
): Promise<StreamKeyRow[]> {
  if (streamIds.length === 0) return [];
  return await db.query<StreamKeyRow>(
    "select * from stream_keys where workspace_id = $1 and stream_id = any($2::text[]) order by created_at, id",
    [workspaceId, streamIds],
  );
}

export async function deleteStreamKeys(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query("delete from stream_keys where id = any($1::text[])", [ids]);
}

/** Whether a key id is used by any stream (key ids are global: ingest looks keys up by id alone). */
export async function streamKeyIdTaken(db: Queryable, id: string): Promise<boolean> {
  return (await db.query("select 1 from stream_keys where id = $1", [id])).length > 0;
}

/** The key with this id, if its stream is live. */
export async function findLiveStreamKey(db: Queryable, id: string): Promise<StreamKeyRow | null> {
  const rows = await db.query<StreamKeyRow>(
    `select k.* from stream_keys k
       join config_objects o on o.workspace_id = k.workspace_id and o.id = k.stream_id
      where k.id = $1 and o.deleted_at is null and o.type = 'stream'`,
    [id],
  );
  return rows[0] ?? null;
}

/** Records a use of a stream write key (see touchKey). */
export function touchStreamKey(db: Queryable, id: string, at: Date, rehash?: Rehash): Promise<void> {
  return touchKey(db, "stream_keys", id, at, rehash);
}
