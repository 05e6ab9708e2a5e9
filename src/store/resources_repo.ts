import type { Queryable } from "./db.ts";
import type { Role, WorkspaceRow } from "./workspaces_repo.ts";

/** A configuration object as stored; `config` has secrets masked, `secrets` is their ciphertext. */
export interface ConfigObjectRow {
  id: string;
  workspace_id: string;
  type: string;
  subtype: string | null;
  name: string;
  config: Record<string, unknown>;
  secrets: string | null;
  from_id: string | null;
  to_id: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export type ConfigObjectWrite = Omit<ConfigObjectRow, "deleted_at" | "created_at"> & { created_at: Date };

export async function insertConfigObject(db: Queryable, o: ConfigObjectWrite): Promise<ConfigObjectRow> {
  const rows = await db.query<ConfigObjectRow>(
    `insert into config_objects
       (id, workspace_id, type, subtype, name, config, secrets, from_id, to_id, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11) returning *`,
    [
      o.id,
      o.workspace_id,
      o.type,
      o.subtype,
      o.name,
      JSON.stringify(o.config),
      o.secrets,
      o.from_id,
      o.to_id,
      o.created_at,
      o.updated_at,
    ],
  );
  return rows[0];
}

/** Rewrites an object's content; the caller has checked the version it read. */
export async function updateConfigObject(db: Queryable, o: ConfigObjectWrite): Promise<ConfigObjectRow> {
  const rows = await db.query<ConfigObjectRow>(
    `update config_objects set subtype = $2, name = $3, config = $4::jsonb, secrets = $5, from_id = $6,
        to_id = $7, updated_at = $8
      where id = $1 and workspace_id = $9 and deleted_at is null returning *`,
    [
      o.id,
      o.subtype,
      o.name,
      JSON.stringify(o.config),
      o.secrets,
      o.from_id,
      o.to_id,
      o.updated_at,
      o.workspace_id,
    ],
  );
  return rows[0];
}

/** A live object of the workspace; `lock` takes a row lock for a read-modify-write. */
export async function findConfigObject(
  db: Queryable,
  workspaceId: string,
  type: string,
  id: string,
  { lock = false }: { lock?: boolean } = {},
): Promise<ConfigObjectRow | null> {
  const rows = await db.query<ConfigObjectRow>(
    `select * from config_objects where id = $1 and workspace_id = $2 and type = $3 and deleted_at is null
     ${lock ? "for update" : ""}`,
    [id, workspaceId, type],
  );
  return rows[0] ?? null;
}

/**
 * The workspace whose id or slug is `workspace`, with the role `userId` has in it, and its live object
 * `id` of `type` (null when there is none): a read's two lookups in one round trip (measured with
 * bench/mcp.ts). Null when no workspace matches. Same workspace rule as findWorkspaceForUser.
 */
export async function findConfigObjectWithWorkspace(
  db: Queryable,
  { workspace, userId, type, id }: { workspace: string; userId: string; type: string; id: string },
): Promise<{ workspace: WorkspaceRow & { role: Role | null }; object: ConfigObjectRow | null } | null> {
  const rows = await db.query<ConfigObjectRow & WorkspaceColumns>(
    `select w.id as ws_id, w.name as ws_name, w.slug as ws_slug, w.created_at as ws_created_at,
            w.updated_at as ws_updated_at, m.role as ws_role, o.*
       from workspaces w
       left join workspace_members m on m.workspace_id = w.id and m.user_id = $2
       left join config_objects o
         on o.id = $3 and o.workspace_id = w.id and o.type = $4 and o.deleted_at is null
      where w.id = $1 or w.slug = $1
      order by (w.id = $1) desc limit 1`,
    [workspace, userId, id, type],
  );
  if (!rows[0]) return null;
  const { ws_id, ws_name, ws_slug, ws_created_at, ws_updated_at, ws_role, ...object } = rows[0];
  return {
    workspace: {
      id: ws_id,
      name: ws_name,
      slug: ws_slug,
      created_at: ws_created_at,
      updated_at: ws_updated_at,
      role: ws_role,
    },
    object: object.id === null ? null : object,
  };
}

interface WorkspaceColumns {
  ws_id: string;
  ws_name: string;
  ws_slug: string | null;
  ws_created_at: Date;
  ws_updated_at: Date;
  ws_role: Role | null;
}

/** Live objects of the workspace with these ids, of any type. */
export async function findConfigObjects(
  db: Queryable,
  workspaceId: string,
  ids: string[],
): Promise<ConfigObjectRow[]> {
  if (ids.length === 0) return [];
  return await db.query<ConfigObjectRow>(
    "select * from config_objects where workspace_id = $1 and id = any($2::text[]) and deleted_at is null",
    [workspaceId, ids],
  );
}

/**
 * Whether an object of the workspace, live or deleted, has this id. Ids are unique per workspace only:
 * another workspace's ids are never looked at, so a create cannot tell whether they exist.
 */
export async function configObjectIdTaken(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  return (await db.query("select 1 from config_objects where workspace_id = $1 and id = $2", [
    workspaceId,
    id,
  ]))
    .length > 0;
}

/** One page of live objects of a type, oldest first (Jitsu's order), and the total count. */
export async function listConfigObjects(
  db: Queryable,
  workspaceId: string,
  type: string,
  { limit, offset }: { limit: number; offset: number },
): Promise<{ rows: ConfigObjectRow[]; total: number }> {
  // The window count is taken before limit/offset, so the page and the total come in one round trip;
  // only a page past the end (no row to carry the count) needs a second query.
  const page = await db.query<ConfigObjectRow & { total_count: number }>(
    `select *, count(*) over ()::int as total_count from config_objects
      where workspace_id = $1 and type = $2 and deleted_at is null
      order by created_at, id limit $3 offset $4`,
    [workspaceId, type, limit, offset],
  );
  if (page.length === 0 && offset > 0) {
    const count = await db.query<{ n: number }>(
      "select count(*)::int as n from config_objects where workspace_id = $1 and type = $2 and deleted_at is null",
      [workspaceId, type],
    );
    return { rows: [], total: Number(count[0].n) };
  }
  const rows = page.map(({ total_count: _, ...row }) => row);
  return { rows, total: Number(page[0]?.total_count ?? 0) };
}

/** Live connections whose `from_id` or `to_id` is `objectId`. */
export async function connectionsTouching(
  db: Queryable,
  workspaceId: string,
  objectId: string,
): Promise<ConfigObjectRow[]> {
  return await db.query<ConfigObjectRow>(
    `select * from config_objects where workspace_id = $1 and type = 'connection' and deleted_at is null
        and (from_id = $2 or to_id = $2) order by created_at, id`,
    [workspaceId, objectId],
  );
}

/** Live connections whose function chain names `functionId` (bare or Jitsu's `udf.` form). */
export async function connectionsUsingFunction(
  db: Queryable,
  workspaceId: string,
  functionId: string,
): Promise<ConfigObjectRow[]> {
  return await db.query<ConfigObjectRow>(
    `select * from config_objects where workspace_id = $1 and type = 'connection' and deleted_at is null
        and (config->'data'->'functions' @> $2::jsonb or config->'data'->'functions' @> $3::jsonb)
      order by created_at, id`,
    [
      workspaceId,
      JSON.stringify([{ functionId }]),
      JSON.stringify([{ functionId: `udf.${functionId}` }]),
    ],
  );
}

/** The live push connection from `fromId` to `toId`, if any (other than `exceptId`). */
export async function findPushConnection(
  db: Queryable,
  workspaceId: string,
  fromId: string,
  toId: string,
  exceptId: string | null,
): Promise<ConfigObjectRow | null> {
  const rows = await db.query<ConfigObjectRow>(
    `select * from config_objects where workspace_id = $1 and type = 'connection' and subtype = 'push'
        and from_id = $2 and to_id = $3 and deleted_at is null and id <> coalesce($4, '')`,
    [workspaceId, fromId, toId, exceptId],
  );
  return rows[0] ?? null;
}

/** Live connections leaving `fromId`, oldest first. */
export async function connectionsFrom(
  db: Queryable,
  workspaceId: string,
  fromId: string,
): Promise<ConfigObjectRow[]> {
  return await db.query<ConfigObjectRow>(
    `select * from config_objects where workspace_id = $1 and type = 'connection' and from_id = $2
        and deleted_at is null order by created_at, id`,
    [workspaceId, fromId],
  );
}

/** Soft-deletes objects of the workspace; returns the ids that were live. */
export async function softDeleteConfigObjects(
  db: Queryable,
  workspaceId: string,
  ids: string[],
  at: Date,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<{ id: string }>(
    `update config_objects set deleted_at = $3, updated_at = $3
      where workspace_id = $1 and id = any($2::text[]) and deleted_at is null returning id`,
    [workspaceId, ids, at],
  );
  return rows.map((r) => r.id);
}

/**
 * Live streams of any workspace, other than `except` (a stream of a workspace, ids being unique per
 * workspace only), that list any of `domains` (stored lowercased).
 */
export async function streamsWithDomains(
  db: Queryable,
  domains: string[],
  except: { workspaceId: string; id: string } | null,
): Promise<{ id: string; workspace_id: string; domains: string[] }[]> {
  if (domains.length === 0) return [];
  return await db.query(
    `select id, workspace_id, config->'domains' as domains from config_objects
      where type = 'stream' and deleted_at is null
        and not (workspace_id = coalesce($2, '') and id = coalesce($3, ''))
        and config->'domains' ?| $1::text[]`,
    [domains, except?.workspaceId ?? null, except?.id ?? null],
  );
}

/** Whether an error is PostgreSQL's unique_violation (both drivers pass the SQLSTATE through as `code`). */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "23505";
}
