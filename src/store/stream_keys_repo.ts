import type { Queryable } from "./db.ts";
import type { Rehash } from "./key_touch.ts";

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

/** A key of a workspace: key ids are unique per workspace only. */
export interface StreamKeyRef {
  workspaceId: string;
  id: string;
}

/** Replaces the secret of an existing key (a client sent a new plaintext for a known id). */
export async function rehashStreamKey(
  db: Queryable,
  key: StreamKeyRef,
  h: { hint: string; salt: string; hash: string; pepper_id: string },
): Promise<void> {
  await db.query(
    "update stream_keys set hint = $3, salt = $4, hash = $5, pepper_id = $6 where workspace_id = $1 and id = $2",
    [key.workspaceId, key.id, h.hint, h.salt, h.hash, h.pepper_id],
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

export async function deleteStreamKeys(db: Queryable, workspaceId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query("delete from stream_keys where workspace_id = $1 and id = any($2::text[])", [
    workspaceId,
    ids,
  ]);
}

/**
 * Whether a stream of the workspace has a key with this id. Other workspaces' keys are never looked
 * at, so a stream cannot tell whether a key id exists elsewhere.
 */
export async function streamKeyIdTaken(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  return (await db.query("select 1 from stream_keys where workspace_id = $1 and id = $2", [workspaceId, id]))
    .length > 0;
}

// Two workspaces that picked the same key id are rare; more than this many is not looked at.
const MAX_SAME_ID = 8;

/** The keys with this id whose streams are live, in any workspace, oldest first. */
export async function findLiveStreamKeys(db: Queryable, id: string): Promise<StreamKeyRow[]> {
  return await db.query<StreamKeyRow>(
    `select k.* from stream_keys k
       join config_objects o on o.workspace_id = k.workspace_id and o.id = k.stream_id
      where k.id = $1 and o.deleted_at is null and o.type = 'stream'
      order by k.created_at, k.workspace_id limit ${MAX_SAME_ID}`,
    [id],
  );
}

/** Records a use of a stream write key; with `rehash`, also moves it to the current pepper (see touchKey). */
export async function touchStreamKey(
  db: Queryable,
  key: StreamKeyRef,
  at: Date,
  rehash?: Rehash,
): Promise<void> {
  if (rehash) {
    await db.query(
      `update stream_keys set last_used_at = $3, salt = $4, hash = $5, pepper_id = $6
        where workspace_id = $1 and id = $2`,
      [key.workspaceId, key.id, at, rehash.salt, rehash.hash, rehash.pepperId],
    );
  } else {
    await db.query("update stream_keys set last_used_at = $3 where workspace_id = $1 and id = $2", [
      key.workspaceId,
      key.id,
      at,
    ]);
  }
}
