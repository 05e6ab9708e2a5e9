import * as v from "valibot";
import { newId } from "../auth/crypto.ts";
import type { Ctx } from "../deps.ts";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors.ts";
import {
  addMember,
  findWorkspaceForUser,
  insertWorkspace,
  listWorkspacesForUser,
  type Role,
  slugTaken,
  updateWorkspace as updateWorkspaceRow,
  type WorkspaceRow,
} from "../store/workspaces_repo.ts";
import { LimitSchema, parseInput } from "../validation.ts";
import { recordAudit } from "./audit_record.ts";

export const SlugSchema = v.pipe(
  v.string("must be a string"),
  v.regex(
    /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/,
    "must be 3-64 lowercase letters, digits or '-', not at either end",
  ),
);

export const WorkspaceCreateInput = v.object({
  name: v.pipe(
    v.string("must be a string"),
    v.trim(),
    v.minLength(1, "required"),
    v.maxLength(200, "at most 200 characters"),
  ),
  slug: v.optional(v.nullable(SlugSchema)),
});

export const WorkspaceUpdateInput = v.object({
  name: v.optional(WorkspaceCreateInput.entries.name),
  slug: v.optional(v.nullable(SlugSchema)),
});

export const PageInput = v.object({
  limit: LimitSchema,
  offset: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(0, "at least 0"),
      v.maxValue(1_000_000_000, "at most 1000000000"),
    ),
    0,
  ),
});

/** What every face returns for a workspace. */
export function publicWorkspace(w: WorkspaceRow & { role?: Role | null }) {
  return {
    id: w.id,
    name: w.name,
    slug: w.slug,
    role: w.role ?? null,
    createdAt: w.created_at.toISOString(),
    updatedAt: w.updated_at.toISOString(),
  };
}

export interface ResolvedWorkspace extends WorkspaceRow {
  role: Role | null;
}

/**
 * Finds a workspace by id or slug that the caller may use. Not a member (and not an admin), or outside
 * the credential's workspace list: 404, never 403, so ids do not leak. With `write`, analysts and
 * read-only credentials get 403 (they can see the workspace, so saying why leaks nothing).
 */
export async function resolveWorkspace(
  ctx: Ctx,
  idOrSlug: string,
  { write = false }: { write?: boolean } = {},
): Promise<ResolvedWorkspace> {
  const w = await findWorkspaceForUser(ctx.db, idOrSlug, ctx.principal.userId);
  return checkWorkspaceAccess(ctx, w, idOrSlug, { write });
}

/** resolveWorkspace's rules applied to a row the caller already read (null: no such workspace). */
export function checkWorkspaceAccess(
  ctx: Ctx,
  w: ResolvedWorkspace | null,
  idOrSlug: string,
  { write = false }: { write?: boolean } = {},
): ResolvedWorkspace {
  const visible = w && (w.role !== null || ctx.principal.isAdmin) &&
    (ctx.principal.workspaceIds === null || ctx.principal.workspaceIds.includes(w.id));
  if (!w || !visible) throw new NotFoundError(`Workspace "${idOrSlug}" not found`);
  if (write) {
    if (!ctx.principal.canWrite) {
      throw new ForbiddenError(`Cannot change workspace "${idOrSlug}": this connection is read-only`);
    }
    if (w.role === "analyst" && !ctx.principal.isAdmin) {
      throw new ForbiddenError(`Cannot change workspace "${idOrSlug}": your role (analyst) is read-only`);
    }
  }
  return w;
}

/** Creates a workspace; the caller becomes its owner. */
export async function createWorkspace(ctx: Ctx, input: unknown) {
  if (!ctx.principal.canWrite) {
    throw new ForbiddenError("Cannot create workspace: this connection is read-only");
  }
  const data = parseInput(WorkspaceCreateInput, input, "Cannot create workspace");
  return await ctx.db.transaction(async function create(tx) {
    if (data.slug && await slugTaken(tx, data.slug)) {
      throw new ConflictError(`Cannot create workspace: slug "${data.slug}" is taken`, {
        issues: [{ path: "slug", message: "is taken" }],
      });
    }
    const w = await insertWorkspace(tx, { id: newId(), name: data.name, slug: data.slug ?? null });
    await addMember(tx, w.id, ctx.principal.userId, "owner");
    return publicWorkspace({ ...w, role: "owner" });
  });
}

export async function listWorkspaces(ctx: Ctx, input: unknown = {}) {
  const page = parseInput(PageInput, input, "Cannot list workspaces");
  const rows = await listWorkspacesForUser(ctx.db, {
    userId: ctx.principal.userId,
    all: ctx.principal.isAdmin,
    only: ctx.principal.workspaceIds,
    limit: page.limit,
    offset: page.offset,
  });
  return rows.map(publicWorkspace);
}

export async function getWorkspace(ctx: Ctx, idOrSlug: string) {
  return publicWorkspace(await resolveWorkspace(ctx, idOrSlug));
}

export async function updateWorkspace(ctx: Ctx, idOrSlug: string, input: unknown) {
  const w = await resolveWorkspace(ctx, idOrSlug, { write: true });
  const patch = parseInput(WorkspaceUpdateInput, input, `Cannot update workspace "${idOrSlug}"`);
  if (patch.slug && await slugTaken(ctx.db, patch.slug, w.id)) {
    throw new ConflictError(`Cannot update workspace "${idOrSlug}": slug "${patch.slug}" is taken`, {
      issues: [{ path: "slug", message: "is taken" }],
    });
  }
  return await ctx.db.transaction(async function update(tx) {
    const updated = await updateWorkspaceRow(tx, w.id, patch);
    const after = publicWorkspace({ ...updated, role: w.role });
    await recordAudit(ctx, tx, {
      workspaceId: w.id,
      action: "update",
      objectType: "workspace",
      objectId: w.id,
      before: { name: w.name, slug: w.slug },
      after: { name: after.name, slug: after.slug },
    });
    return after;
  });
}
