import type { Queryable } from "./db.ts";

/** A stored hash of a secret: salt, HMAC and the pepper it was made with. */
export interface StoredHash {
  salt: string;
  hash: string;
  pepperId: string;
}

export interface OAuthClientRow {
  id: string;
  kind: "dynamic" | "metadata_document";
  name: string | null;
  redirect_uris: string[];
  token_endpoint_auth_method: "none" | "client_secret_post" | "client_secret_basic";
  secret_salt: string | null;
  secret_hash: string | null;
  secret_pepper_id: string | null;
  metadata: Record<string, unknown>;
  registered_ip: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

export interface GrantRow {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  workspace_ids: string[];
  resource: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface CodeRow {
  id: string;
  grant_id: string;
  client_id: string;
  salt: string;
  hash: string;
  pepper_id: string;
  redirect_uri: string;
  redirect_uri_given: boolean;
  code_challenge: string;
  resource: string;
  scope: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface TokenRow {
  id: string;
  kind: "access" | "refresh";
  grant_id: string;
  salt: string;
  hash: string;
  pepper_id: string;
  scope: string;
  resource: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  grace_used_at: Date | null;
  revoked_at: Date | null;
}

/** Inserts a client, or replaces a cached metadata-document client with the same id. */
export async function upsertClient(
  db: Queryable,
  c: Omit<OAuthClientRow, "last_used_at">,
): Promise<OAuthClientRow> {
  const rows = await db.query<OAuthClientRow>(
    `insert into oauth_clients (id, kind, name, redirect_uris, token_endpoint_auth_method, secret_salt,
        secret_hash, secret_pepper_id, metadata, registered_ip, created_at, expires_at)
     values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)
     on conflict (id) do update set name = excluded.name, redirect_uris = excluded.redirect_uris,
        token_endpoint_auth_method = excluded.token_endpoint_auth_method, metadata = excluded.metadata,
        expires_at = excluded.expires_at
     returning *`,
    [
      c.id,
      c.kind,
      c.name,
      JSON.stringify(c.redirect_uris),
      c.token_endpoint_auth_method,
      c.secret_salt,
      c.secret_hash,
      c.secret_pepper_id,
      JSON.stringify(c.metadata),
      c.registered_ip,
      c.created_at,
      c.expires_at,
    ],
  );
  return rows[0];
}

export async function findClient(db: Queryable, id: string): Promise<OAuthClientRow | null> {
  const rows = await db.query<OAuthClientRow>("select * from oauth_clients where id = $1", [id]);
  return rows[0] ?? null;
}

/** How many clients `ip` registered since `since` (the registration rate limit). */
export async function countClientsFromIp(db: Queryable, ip: string, since: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(
    "select count(*)::int as n from oauth_clients where registered_ip = $1 and created_at > $2",
    [ip, since],
  );
  return Number(rows[0].n);
}

/** Deletes dynamically registered clients created before `before` that never got a grant. */
export async function deleteUnusedClients(db: Queryable, before: Date): Promise<number> {
  const rows = await db.query(
    `delete from oauth_clients c where c.kind = 'dynamic' and c.created_at < $1 and c.last_used_at is null
        and not exists (select 1 from oauth_grants g where g.client_id = c.id) returning id`,
    [before],
  );
  return rows.length;
}

export async function touchClient(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query("update oauth_clients set last_used_at = $2 where id = $1", [id, at]);
}

/** Revokes the user's live grants to `clientId` (re-consent replaces the earlier grant). */
export async function revokeGrantsOfClient(
  db: Queryable,
  userId: string,
  clientId: string,
  at: Date,
): Promise<void> {
  await db.query(
    "update oauth_grants set revoked_at = $3 where user_id = $1 and client_id = $2 and revoked_at is null",
    [userId, clientId, at],
  );
}

export async function insertGrant(db: Queryable, g: Omit<GrantRow, "last_used_at" | "revoked_at">) {
  const rows = await db.query<GrantRow>(
    `insert into oauth_grants (id, user_id, client_id, scope, workspace_ids, resource, created_at)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7) returning *`,
    [g.id, g.user_id, g.client_id, g.scope, JSON.stringify(g.workspace_ids), g.resource, g.created_at],
  );
  return rows[0];
}

export async function findGrant(db: Queryable, id: string): Promise<GrantRow | null> {
  const rows = await db.query<GrantRow>("select * from oauth_grants where id = $1", [id]);
  return rows[0] ?? null;
}

/** Revokes a grant (and so every token issued under it); `userId` limits it to that user's grants. */
export async function revokeGrant(
  db: Queryable,
  id: string,
  at: Date,
  userId: string | null = null,
): Promise<boolean> {
  const rows = await db.query(
    `update oauth_grants set revoked_at = $2 where id = $1 and ($3::text is null or user_id = $3)
        and revoked_at is null returning id`,
    [id, at, userId],
  );
  return rows.length > 0;
}

export async function touchGrant(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query("update oauth_grants set last_used_at = $2 where id = $1", [id, at]);
}

/** A user's live grants with their client's name and kind, newest first (the /user page). */
export async function listGrantsForUser(db: Queryable, userId: string) {
  return await db.query<GrantRow & { client_name: string | null; client_kind: OAuthClientRow["kind"] }>(
    `select g.*, c.name as client_name, c.kind as client_kind from oauth_grants g
       join oauth_clients c on c.id = g.client_id
      where g.user_id = $1 and g.revoked_at is null order by g.created_at desc, g.id`,
    [userId],
  );
}

export async function insertCode(db: Queryable, c: Omit<CodeRow, "used_at">): Promise<void> {
  await db.query(
    `insert into oauth_codes (id, grant_id, client_id, salt, hash, pepper_id, redirect_uri,
        redirect_uri_given, code_challenge, resource, scope, created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      c.id,
      c.grant_id,
      c.client_id,
      c.salt,
      c.hash,
      c.pepper_id,
      c.redirect_uri,
      c.redirect_uri_given,
      c.code_challenge,
      c.resource,
      c.scope,
      c.created_at,
      c.expires_at,
    ],
  );
}

export async function findCode(db: Queryable, id: string): Promise<CodeRow | null> {
  const rows = await db.query<CodeRow>("select * from oauth_codes where id = $1", [id]);
  return rows[0] ?? null;
}

/** Marks a code used; false when it already was (a replay), so only one exchange can win. */
export async function consumeCode(db: Queryable, id: string, at: Date): Promise<boolean> {
  const rows = await db.query(
    "update oauth_codes set used_at = $2 where id = $1 and used_at is null returning id",
    [id, at],
  );
  return rows.length > 0;
}

export async function insertToken(
  db: Queryable,
  t: Omit<TokenRow, "used_at" | "grace_used_at" | "revoked_at">,
): Promise<void> {
  await db.query(
    `insert into oauth_tokens (id, kind, grant_id, salt, hash, pepper_id, scope, resource, created_at,
        expires_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [t.id, t.kind, t.grant_id, t.salt, t.hash, t.pepper_id, t.scope, t.resource, t.created_at, t.expires_at],
  );
}

/** A token with its grant and user, in one query (every /mcp request with an OAuth token does this). */
export async function findTokenWithGrant(db: Queryable, id: string) {
  const rows = await db.query<
    TokenRow & {
      user_id: string;
      client_id: string;
      workspace_ids: string[];
      grant_revoked_at: Date | null;
      grant_last_used_at: Date | null;
      email: string;
      is_admin: boolean;
    }
  >(
    `select t.*, g.user_id, g.client_id, g.workspace_ids, g.revoked_at as grant_revoked_at,
            g.last_used_at as grant_last_used_at, u.email, u.is_admin
       from oauth_tokens t join oauth_grants g on g.id = t.grant_id join users u on u.id = g.user_id
      where t.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** First use of a refresh token: marks it rotated; false when another request rotated it first. */
export async function rotateRefreshToken(db: Queryable, id: string, at: Date): Promise<boolean> {
  const rows = await db.query(
    "update oauth_tokens set used_at = $2 where id = $1 and used_at is null returning id",
    [id, at],
  );
  return rows.length > 0;
}

/** The one late use a rotated refresh token gets within the grace window; false when it had it. */
export async function useRefreshGrace(
  db: Queryable,
  id: string,
  at: Date,
  usedAfter: Date,
): Promise<boolean> {
  const rows = await db.query(
    `update oauth_tokens set grace_used_at = $2 where id = $1 and used_at is not null and used_at > $3
        and grace_used_at is null returning id`,
    [id, at, usedAfter],
  );
  return rows.length > 0;
}

export async function revokeToken(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query("update oauth_tokens set revoked_at = $2 where id = $1 and revoked_at is null", [id, at]);
}
