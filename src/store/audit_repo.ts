import type { Queryable } from "./db.ts";

export interface AuditRow {
  id: string;
  workspace_id: string;
  at: Date;
  user_id: string | null;
  user_email: string | null;
  via: Record<string, unknown>;
  channel: string;
  action: string;
  object_type: string;
  object_id: string;
  request_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export async function insertAuditEntry(db: Queryable, e: Omit<AuditRow, "id">): Promise<void> {
  await db.query(
    `insert into audit_log (workspace_id, at, user_id, user_email, via, channel, action, object_type,
        object_id, request_id, before, after)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb)`,
    [
      e.workspace_id,
      e.at,
      e.user_id,
      e.user_email,
      JSON.stringify(e.via),
      e.channel,
      e.action,
      e.object_type,
      e.object_id,
      e.request_id,
      e.before === null ? null : JSON.stringify(e.before),
      e.after === null ? null : JSON.stringify(e.after),
    ],
  );
}

/** Newest first; optionally only one object or one object type. */
export async function listAuditEntries(
  db: Queryable,
  workspaceId: string,
  { limit, offset, objectId, objectType }: {
    limit: number;
    offset: number;
    objectId?: string | null;
    objectType?: string | null;
  },
): Promise<AuditRow[]> {
  return await db.query<AuditRow>(
    `select id::text as id, workspace_id, at, user_id, user_email, via, channel, action, object_type,
        object_id, request_id, before, after
       from audit_log
      where workspace_id = $1 and ($2::text is null or object_id = $2) and ($3::text is null or object_type = $3)
      order by audit_log.id desc limit $4 offset $5`,
    [workspaceId, objectId ?? null, objectType ?? null, limit, offset],
  );
}
