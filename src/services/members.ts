/**
 * Workspace members: list, add an existing user by email (or invite an email without an account),
 * change a role, remove. Every member may list; only the workspace's owners and admins change members,
 * and a workspace always keeps one owner. Each change is an audit entry (`member` or `invite`).
 * Invites are accepted in src/services/invites.ts.
 */
import * as v from "valibot";
import { randomToken, sha256Hex } from "../auth/crypto.ts";
import type { Ctx } from "../deps.ts";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors.ts";
import {
  deleteInvite,
  deleteMember,
  findMemberRow,
  insertInvite,
  type InviteRow,
  listInviteRows,
  listMemberRows,
  lockOwners,
  type MemberRow,
  setMemberRole,
} from "../store/members_repo.ts";
import { findUserByEmail } from "../store/users_repo.ts";
import { addMember as addMemberRow, type Role } from "../store/workspaces_repo.ts";
import { parseInput } from "../validation.ts";
import { recordAudit } from "./audit.ts";
import { EmailSchema } from "./users.ts";
import { type ResolvedWorkspace, resolveWorkspace } from "./workspaces.ts";

export const ROLES = ["owner", "editor", "analyst"] as const;
/** How long an invite link works. */
export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

const WorkspaceArg = v.pipe(v.string("must be a string"), v.minLength(1, "required"));
const RoleArg = v.picklist(ROLES, `must be one of ${ROLES.join(", ")}`);
const UserIdArg = v.pipe(v.string("must be a string"), v.minLength(1, "required"));

export const MemberAddInput = v.object({ workspaceId: WorkspaceArg, email: EmailSchema, role: RoleArg });
export const MemberUpdateInput = v.object({ workspaceId: WorkspaceArg, userId: UserIdArg, role: RoleArg });
export const MemberRemoveInput = v.object({ workspaceId: WorkspaceArg, userId: UserIdArg });
export const InviteCancelInput = v.object({ workspaceId: WorkspaceArg, email: EmailSchema });

/** A member as every face shows it. */
export interface PublicMember {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: string;
}

/** A pending invite (never its token). */
export interface PublicInvite {
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
}

function publicMember(m: MemberRow): PublicMember {
  return {
    userId: m.user_id,
    email: m.email,
    name: m.name,
    role: m.role,
    createdAt: new Date(m.created_at).toISOString(),
  };
}

function publicInvite(i: InviteRow): PublicInvite {
  return {
    email: i.email,
    role: i.role,
    createdAt: new Date(i.created_at).toISOString(),
    expiresAt: new Date(i.expires_at).toISOString(),
  };
}

/** The workspace, if the caller may change its members: an owner of it, or an admin. */
async function workspaceToManage(ctx: Ctx, idOrSlug: string, action: string): Promise<ResolvedWorkspace> {
  const ws = await resolveWorkspace(ctx, idOrSlug, { write: true });
  if (ws.role !== "owner" && !ctx.principal.isAdmin) {
    throw new ForbiddenError(
      `Cannot ${action}: only owners of workspace "${idOrSlug}" and admins change members`,
    );
  }
  return ws;
}

/** Members and pending invites of a workspace; any member may read them (analysts too). */
export async function listMembers(
  ctx: Ctx,
  input: { workspaceId: string },
): Promise<{ members: PublicMember[]; invites: PublicInvite[] }> {
  const q = parseInput(v.object({ workspaceId: WorkspaceArg }), input, "Cannot list members");
  const ws = await resolveWorkspace(ctx, q.workspaceId);
  const [members, invites] = await Promise.all([
    listMemberRows(ctx.db, ws.id),
    listInviteRows(ctx.db, ws.id, ctx.clock.now()),
  ]);
  return { members: members.map(publicMember), invites: invites.map(publicInvite) };
}

/**
 * Adds a user by email with a role. An email with no account gets a one-time invite link instead
 * (valid 7 days, stored hashed, shown only in this answer): `{invite: {..., link}}`. 409 when the user
 * is already a member.
 */
export async function addMember(
  ctx: Ctx,
  input: unknown,
): Promise<
  { member: PublicMember; invite?: undefined } | {
    invite: PublicInvite & { link: string };
    member?: undefined;
  }
> {
  const q = parseInput(MemberAddInput, input, "Cannot add member");
  const ws = await workspaceToManage(ctx, q.workspaceId, "add member");
  return await ctx.db.transaction(async function add(tx) {
    const user = await findUserByEmail(tx, q.email);
    if (!user) {
      const token = randomToken(24);
      const now = ctx.clock.now();
      const expiresAt = new Date(now.getTime() + INVITE_TTL_MS);
      await insertInvite(tx, {
        tokenHash: await sha256Hex(token),
        workspaceId: ws.id,
        email: q.email,
        role: q.role,
        invitedBy: ctx.principal.userId,
        now,
        expiresAt,
      });
      const invite = {
        email: q.email,
        role: q.role,
        createdAt: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
      };
      await recordAudit(ctx, tx, {
        workspaceId: ws.id,
        action: "create",
        objectType: "invite",
        objectId: q.email,
        before: null,
        after: invite,
      });
      return { invite: { ...invite, link: `${ctx.config.publicUrl}/invite?token=${token}` } };
    }
    if (await findMemberRow(tx, ws.id, user.id)) {
      throw new ConflictError(
        `Cannot add member: "${q.email}" is already a member of workspace "${q.workspaceId}"`,
        {
          issues: [{ path: "email", message: "is already a member" }],
        },
      );
    }
    await addMemberRow(tx, ws.id, user.id, q.role);
    const member = publicMember((await findMemberRow(tx, ws.id, user.id))!);
    await recordAudit(ctx, tx, {
      workspaceId: ws.id,
      action: "create",
      objectType: "member",
      objectId: user.id,
      before: null,
      after: { ...member },
    });
    return { member };
  });
}

/** Changes a member's role; the last owner cannot become anything else. */
export async function updateMemberRole(ctx: Ctx, input: unknown): Promise<PublicMember> {
  const q = parseInput(MemberUpdateInput, input, "Cannot change member");
  const ws = await workspaceToManage(ctx, q.workspaceId, "change member");
  return await ctx.db.transaction(async function update(tx) {
    const owners = await lockOwners(tx, ws.id);
    const before = await findMemberRow(tx, ws.id, q.userId);
    if (!before) {
      throw new NotFoundError(`Cannot change member: user "${q.userId}" is not a member of this workspace`);
    }
    if (before.role === "owner" && q.role !== "owner" && owners.length === 1) {
      throw new ConflictError(
        `Cannot change member "${before.email}": the last owner of a workspace stays owner; make another member owner first`,
        { issues: [{ path: "role", message: "the last owner stays owner" }] },
      );
    }
    await setMemberRole(tx, ws.id, q.userId, q.role);
    const after = publicMember({ ...before, role: q.role });
    await recordAudit(ctx, tx, {
      workspaceId: ws.id,
      action: "update",
      objectType: "member",
      objectId: q.userId,
      before: { ...publicMember(before) },
      after: { ...after },
    });
    return after;
  });
}

/** Removes a member; the last owner cannot be removed. */
export async function removeMember(ctx: Ctx, input: unknown): Promise<{ removed: true; userId: string }> {
  const q = parseInput(MemberRemoveInput, input, "Cannot remove member");
  const ws = await workspaceToManage(ctx, q.workspaceId, "remove member");
  return await ctx.db.transaction(async function remove(tx) {
    const owners = await lockOwners(tx, ws.id);
    const before = await findMemberRow(tx, ws.id, q.userId);
    if (!before) {
      throw new NotFoundError(`Cannot remove member: user "${q.userId}" is not a member of this workspace`);
    }
    if (before.role === "owner" && owners.length === 1) {
      throw new ConflictError(
        `Cannot remove member "${before.email}": a workspace keeps at least one owner; make another member owner first`,
      );
    }
    await deleteMember(tx, ws.id, q.userId);
    await recordAudit(ctx, tx, {
      workspaceId: ws.id,
      action: "delete",
      objectType: "member",
      objectId: q.userId,
      before: { ...publicMember(before) },
      after: null,
    });
    return { removed: true as const, userId: q.userId };
  });
}

/** Withdraws a pending invite; its link stops working. */
export async function cancelInvite(ctx: Ctx, input: unknown): Promise<{ cancelled: true; email: string }> {
  const q = parseInput(InviteCancelInput, input, "Cannot cancel invite");
  const ws = await workspaceToManage(ctx, q.workspaceId, "cancel invite");
  return await ctx.db.transaction(async function cancel(tx) {
    if (await deleteInvite(tx, ws.id, q.email) === 0) {
      throw new NotFoundError(`Cannot cancel invite: no pending invite for "${q.email}"`);
    }
    await recordAudit(ctx, tx, {
      workspaceId: ws.id,
      action: "delete",
      objectType: "invite",
      objectId: q.email,
      before: { email: q.email },
      after: null,
    });
    return { cancelled: true as const, email: q.email };
  });
}
