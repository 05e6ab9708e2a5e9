/** Workspace members and invites (tables workspace_members, workspace_invites; migrations 1 and 11). */
import type { Queryable } from "./db.ts";
import type { Role } from "./workspaces_repo.ts";

export interface MemberRow {
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  created_at: Date;
}

export async function listMemberRows(db: Queryable, workspaceId: string): Promise<MemberRow[]> {
  return await db.query<MemberRow>(
    `select m.user_id, u.email, u.name, m.role, m.created_at
       from workspace_members m join users u on u.id = m.user_id
      where m.workspace_id = $1 order by u.email`,
    [workspaceId],
  );
}

export async function findMemberRow(
  db: Queryable,
  workspaceId: string,
  userId: string,
): Promise<MemberRow | null> {
  const rows = await db.query<MemberRow>(
    `select m.user_id, u.email, u.name, m.role, m.created_at
       from workspace_members m join users u on u.id = m.user_id
      where m.workspace_id = $1 and m.user_id = $2`,
    [workspaceId, userId],
  );
  return rows[0] ?? null;
}

/**
 * Owners of the workspace, locked until the transaction ends: two concurrent removals of the last two
 * owners cannot both see another owner left.
 */
export async function lockOwners(db: Queryable, workspaceId: string): Promise<string[]> {
  const rows = await db.query<{ user_id: string }>(
    "select user_id from workspace_members where workspace_id = $1 and role = 'owner' for update",
    [workspaceId],
  );
  return rows.map((r) => r.user_id);
}

export async function setMemberRole(
  db: Queryable,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await db.query("update workspace_members set role = $3 where workspace_id = $1 and user_id = $2", [
    workspaceId,
    userId,
    role,
  ]);
}

export async function deleteMember(db: Queryable, workspaceId: string, userId: string): Promise<void> {
  await db.query("delete from workspace_members where workspace_id = $1 and user_id = $2", [
    workspaceId,
    userId,
  ]);
}

export interface InviteRow {
  token_hash: string;
  workspace_id: string;
  email: string;
  role: Role;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export async function insertInvite(
  db: Queryable,
  i: {
    tokenHash: string;
    workspaceId: string;
    email: string;
    role: Role;
    invitedBy: string;
    now: Date;
    expiresAt: Date;
  },
): Promise<void> {
  // One live invite per (workspace, email): a new one replaces the earlier link.
  await db.query("delete from workspace_invites where workspace_id = $1 and email = $2 and used_at is null", [
    i.workspaceId,
    i.email,
  ]);
  await db.query(
    `insert into workspace_invites (token_hash, workspace_id, email, role, invited_by, created_at, expires_at)
     values ($1, $2, $3, $4, (select id from users where id = $5), $6, $7)`,
    [i.tokenHash, i.workspaceId, i.email, i.role, i.invitedBy, i.now, i.expiresAt],
  );
}

/** Live (unused, unexpired) invites of a workspace. */
export async function listInviteRows(db: Queryable, workspaceId: string, now: Date): Promise<InviteRow[]> {
  return await db.query<InviteRow>(
    `select * from workspace_invites where workspace_id = $1 and used_at is null and expires_at > $2
      order by email`,
    [workspaceId, now],
  );
}

/** A live invite by its token's hash, locked for the transaction. */
export async function findLiveInvite(db: Queryable, tokenHash: string, now: Date): Promise<InviteRow | null> {
  const rows = await db.query<InviteRow>(
    "select * from workspace_invites where token_hash = $1 and used_at is null and expires_at > $2 for update",
    [tokenHash, now],
  );
  return rows[0] ?? null;
}

export async function markInviteUsed(db: Queryable, tokenHash: string, now: Date): Promise<void> {
  await db.query("update workspace_invites set used_at = $2 where token_hash = $1", [tokenHash, now]);
}

export async function deleteInvite(db: Queryable, workspaceId: string, email: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `with d as (delete from workspace_invites where workspace_id = $1 and email = $2 and used_at is null returning 1)
     select count(*)::int as n from d`,
    [workspaceId, email],
  );
  return Number(rows[0].n);
}
