import * as v from "valibot";
import type { Via } from "../auth/principal.ts";
import type { Ctx } from "../deps.ts";
import { type AuditRow, insertAuditEntry, listAuditEntries } from "../store/audit_repo.ts";
import type { Queryable } from "../store/db.ts";
import { parseInput } from "../validation.ts";
import { PageInput, resolveWorkspace } from "./workspaces.ts";

/** How the caller authenticated, without anything secret: the key id, the OAuth client, ... */
export function auditVia(via: Via): Record<string, unknown> {
  switch (via.kind) {
    case "api_key":
      return { kind: "api_key", keyId: via.keyId };
    case "oauth":
      return { kind: "oauth", clientId: via.clientId, grantId: via.grantId };
    case "session":
      return { kind: "session" };
    case "cli":
      return { kind: "cli" };
  }
}

export interface AuditChange {
  workspaceId: string;
  action: "create" | "update" | "delete";
  objectType: string;
  objectId: string;
  /** The object before and after, as responses show it (secrets masked). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Writes one audit entry in the caller's transaction, so a change and its record commit together. */
export async function recordAudit(ctx: Ctx, tx: Queryable, change: AuditChange): Promise<void> {
  await insertAuditEntry(tx, {
    workspace_id: change.workspaceId,
    at: ctx.clock.now(),
    user_id: ctx.principal.userId,
    user_email: ctx.principal.email,
    via: auditVia(ctx.principal.via),
    channel: ctx.channel ?? "rest",
    action: change.action,
    object_type: change.objectType,
    object_id: change.objectId,
    request_id: ctx.requestId,
    before: change.before,
    after: change.after,
  });
}

function publicEntry(r: AuditRow) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    user: { id: r.user_id, email: r.user_email },
    via: r.via,
    channel: r.channel,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    requestId: r.request_id,
    before: r.before,
    after: r.after,
  };
}

export const AuditQueryInput = v.object({
  workspaceId: v.pipe(v.string("must be a string"), v.minLength(1, "required")),
  ...PageInput.entries,
  objectId: v.optional(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"))),
  objectType: v.optional(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"))),
});

/** The workspace's audit log, newest first: who changed what, when, through which face. */
export async function listAuditLog(ctx: Ctx, input: unknown) {
  const q = parseInput(AuditQueryInput, input, "Cannot read the audit log");
  const ws = await resolveWorkspace(ctx, q.workspaceId);
  const rows = await listAuditEntries(ctx.db, ws.id, q);
  return { entries: rows.map(publicEntry), limit: q.limit, offset: q.offset };
}
