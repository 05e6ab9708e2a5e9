/**
 * Writing audit entries (read back by src/services/audit.ts). Apart from the reading side so that
 * workspaces.ts, which the reading side needs, can record its own changes.
 */
import type { Via } from "../auth/principal.ts";
import type { Ctx } from "../deps.ts";
import { insertAuditEntry } from "../store/audit_repo.ts";
import type { Queryable } from "../store/db.ts";

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
