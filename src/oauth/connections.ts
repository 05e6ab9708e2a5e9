import type { Ctx } from "../deps.ts";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import { listGrantsForUser, revokeGrant } from "../store/oauth_repo.ts";
import { listWorkspacesForUser } from "../store/workspaces_repo.ts";
import { scopeCanWrite } from "./resource.ts";

/** The caller's connected apps (live OAuth grants) as the /user page lists them. */
export async function listConnections(ctx: Ctx) {
  const grants = await listGrantsForUser(ctx.db, ctx.principal.userId);
  const workspaces = await listWorkspacesForUser(ctx.db, {
    userId: ctx.principal.userId,
    all: true,
    only: null,
    limit: 1000,
    offset: 0,
  });
  const names = new Map(workspaces.map((w) => [w.id, w.name]));
  return grants.map((g) => ({
    id: g.id,
    clientId: g.client_id,
    clientName: g.client_name,
    verified: false,
    connectedAt: g.created_at.toISOString(),
    lastUsed: g.last_used_at?.toISOString() ?? null,
    scope: g.scope,
    access: scopeCanWrite(g.scope) ? "read-write" : "read-only",
    workspaces: g.workspace_ids.map((id) => ({ id, name: names.get(id) ?? "(deleted workspace)" })),
  }));
}

/** Revokes one of the caller's connections: its tokens stop working on their next request. */
export async function revokeConnection(ctx: Ctx, grantId: string) {
  if (ctx.principal.via.kind === "oauth") {
    throw new ForbiddenError(`Cannot revoke connection "${grantId}": use the Sluice page or an API key`);
  }
  const ok = await revokeGrant(ctx.db, grantId, ctx.clock.now(), ctx.principal.userId);
  if (!ok) throw new NotFoundError(`Connection "${grantId}" not found`);
  return { id: grantId, revoked: true };
}
