/** The dead-letter table: rows that ran out of retries or failed for good, kept for listing and replay. */
import type { Queryable } from "./db.ts";
import { insertRows } from "./multi_row_insert.ts";
import { INSERT_CHUNK } from "./queue_repo.ts";

/** A dead-letter row to insert. */
export interface DeadLetterInsert {
  workspaceId: string;
  streamId: string;
  connectionId: string;
  payloadJson: string;
  error: string;
  attempts: number;
}

export interface DeadLetterRow extends DeadLetterInsert {
  id: string;
  createdAt: Date;
}

export async function insertDeadLetters(db: Queryable, rows: readonly DeadLetterInsert[]): Promise<void> {
  await insertRows(
    db,
    "dead_letter",
    ["workspace_id", "stream_id", "connection_id", "payload", "error", "attempts"],
    rows,
    (r) => [r.workspaceId, r.streamId, r.connectionId, r.payloadJson, r.error, r.attempts],
    INSERT_CHUNK,
  );
}

type DeadLetterDbRow = {
  id: string | number;
  workspace_id: string;
  stream_id: string;
  connection_id: string;
  payload: string;
  error: string;
  attempts: number;
  created_at: Date;
};

function toDeadLetter(r: DeadLetterDbRow): DeadLetterRow {
  return {
    id: String(r.id),
    workspaceId: r.workspace_id,
    streamId: r.stream_id,
    connectionId: r.connection_id,
    payloadJson: r.payload,
    error: r.error,
    attempts: Number(r.attempts),
    createdAt: r.created_at,
  };
}

/** Dead letters of a workspace (optionally one connection), newest first. */
export async function listDeadLetters(
  db: Queryable,
  workspaceId: string,
  { connectionId, limit }: { connectionId?: string | null; limit: number },
): Promise<DeadLetterRow[]> {
  const rows = await db.query<DeadLetterDbRow>(
    `select id, workspace_id, stream_id, connection_id, payload, error, attempts, created_at
       from dead_letter where workspace_id = $1 and ($2::text is null or connection_id = $2)
      order by id desc limit $3`,
    [workspaceId, connectionId ?? null, limit],
  );
  return rows.map(toDeadLetter);
}

/** Deletes and returns dead letters of a workspace: all of one connection, or the given ids. */
export async function takeDeadLetters(
  db: Queryable,
  workspaceId: string,
  { connectionId, ids, limit }: {
    connectionId?: string | null;
    ids?: readonly string[] | null;
    limit: number;
  },
): Promise<DeadLetterRow[]> {
  const rows = await db.query<DeadLetterDbRow>(
    `delete from dead_letter where id in (
        select id from dead_letter
         where workspace_id = $1 and ($2::text is null or connection_id = $2)
           and ($3::bigint[] is null or id = any($3::bigint[]))
         order by id limit $4)
     returning id, workspace_id, stream_id, connection_id, payload, error, attempts, created_at`,
    [workspaceId, connectionId ?? null, ids ? ids.map(Number) : null, limit],
  );
  return rows.map(toDeadLetter).sort((a, b) => Number(a.id) - Number(b.id));
}
