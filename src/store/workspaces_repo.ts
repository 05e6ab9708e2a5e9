import type { Queryable } from "./db.ts";

export type Role = "owner" | "editor" | "analyst";

export interface WorkspaceRow {
  id: string;
  name: string;
  slug: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertWorkspace(
  db: Queryable,
  w: { id: string; name: string; slug: string | null },
): Promise<WorkspaceRow> {
  const rows = await db.query<WorkspaceRow>(
    "insert into workspaces (id, name, slug) values ($1, $2, $3) returning *",
    [w.id, w.name, w.slug],
  );
  return rows[0];
}

export async function addMember(
  db: Queryable,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await db.query(
    `insert into workspace_members (workspace_id, user_id, role) values ($1, $2, $3)
     on conflict (workspace_id, user_id) do update set role = excluded.role`,
    [workspaceId, userId, role],
  );
}

/** The workspace whose id or slug is `idOrSlug`, with the role `userId` has in it (null: not a member). */
export async function findWorkspaceForUser(
  db: Queryable,
  idOrSlug: string,
  userId: string,
): Promise<(WorkspaceRow & { role: Role | null }) | null> {
  const rows = await db.query<WorkspaceRow & { role: Role | null }>(
    `select w.*, m.role from workspaces w
       left join workspace_members m on m.workspace_id = w.id and m.user_id = $2
      where w.id = $1 or w.slug = $1
      order by (w.id = $1) desc limit 1`,
    [idOrSlug, userId],
  );
  return rows[0] ?? null;
}

/** Workspaces `userId` is a member of (or all of them for admins), by name, paginated. */
export async function listWorkspacesForUser(
  db: Queryable,
  { userId, all, limit, offset, only }: {
    userId: string;
    all: boolean;
    limit: number;
    offset: number;
    only: string[] | null;
  },
): Promise<(WorkspaceRow & { role: Role | null })[]> {
  return await db.query(
    `select w.*, m.role from workspaces w
       left join workspace_members m on m.workspace_id = w.id and m.user_id = $1
      where ($2::boolean or m.role is not null) and ($5::text[] is null or w.id = any($5::text[]))
      order by w.name, w.id limit $3 offset $4`,
    [userId, all, limit, offset, only],
  );
}

export async function updateWorkspace(
  db: Queryable,
  id: string,
  patch: { name?: string; slug?: string | null },
): Promise<WorkspaceRow> {
  const rows = await db.query<WorkspaceRow>(
    `update workspaces set name = coalesce($2, name),
        slug = case when $4::boolean then $3 else slug end, updated_at = now()
      where id = $1 returning *`,
    [id, patch.name ?? null, patch.slug ?? null, patch.slug !== undefined],
  );
  return rows[0];
}

export async function slugTaken(db: Queryable, slug: string, exceptId?: string): Promise<boolean> {
  const rows = await db.query(
    "select 1 from workspaces where (slug = $1 or id = $1) and id <> coalesce($2, '')",
    [slug, exceptId ?? null],
  );
  return rows.length > 0;
}
