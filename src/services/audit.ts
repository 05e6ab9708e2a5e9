import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { type AuditRow, listAuditEntries } from "../store/audit_repo.ts";
import { parseInput } from "../validation.ts";
import { PageInput, resolveWorkspace } from "./workspaces.ts";

export { type AuditChange, auditVia, recordAudit } from "./audit_record.ts";

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
