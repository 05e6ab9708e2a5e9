import {
  newSecretHash,
  splitBearer,
  type StoredSecret,
  touchDue,
  verifySecret,
} from "../auth/credentials.ts";
import { newId, randomToken } from "../auth/crypto.ts";
import type { Principal } from "../auth/principal.ts";
import type { Deps } from "../deps.ts";
import type { Queryable } from "../store/db.ts";
import { findTokenWithGrant, insertToken, touchGrant } from "../store/oauth_repo.ts";
import { ACCESS_TOKEN_TTL_MS, mcpResource, REFRESH_TOKEN_TTL_MS, scopeCanWrite } from "./resource.ts";

/**
 * Token ids carry their kind, so a bearer is recognised without a lookup: API key ids are 24 letters and
 * digits, OAuth ids have these prefixes (`_` never occurs in an API key id). The bearer is `id:secret`.
 */
export const ACCESS_PREFIX = "oat_";
export const REFRESH_PREFIX = "ort_";
export const CODE_PREFIX = "oac_";

/** A new `prefix+id:secret` credential and what to store for it. */
export async function mintSecret(deps: Pick<Deps, "secrets">, prefix: string) {
  const id = prefix + newId();
  const secret = randomToken(32);
  return { id, plaintext: `${id}:${secret}`, stored: await newSecretHash(deps.secrets, secret) };
}

/** Checks `secret` against a token or code row (or its absence) the one way (auth/credentials.ts). */
export async function secretMatches(
  deps: Pick<Deps, "secrets">,
  row: StoredSecret | null,
  secret: string,
): Promise<boolean> {
  return await verifySecret(deps.secrets, { stored: row, secret });
}

/** The token response (RFC 6749 §5.1) for a new access token and, with `refresh`, a refresh token. */
export async function issueTokens(
  deps: Pick<Deps, "secrets" | "clock">,
  db: Queryable,
  { grantId, scope, resource, refresh = true }: {
    grantId: string;
    scope: string;
    resource: string;
    refresh?: boolean;
  },
) {
  const now = deps.clock.now();
  const access = await mintSecret(deps, ACCESS_PREFIX);
  await insertToken(db, {
    id: access.id,
    kind: "access",
    grant_id: grantId,
    salt: access.stored.salt,
    hash: access.stored.hash,
    pepper_id: access.stored.pepperId,
    scope,
    resource,
    created_at: now,
    expires_at: new Date(now.getTime() + ACCESS_TOKEN_TTL_MS),
  });
  let refreshToken: { id: string; plaintext: string } | null = null;
  if (refresh) {
    const r = await mintSecret(deps, REFRESH_PREFIX);
    await insertToken(db, {
      id: r.id,
      kind: "refresh",
      grant_id: grantId,
      salt: r.stored.salt,
      hash: r.stored.hash,
      pepper_id: r.stored.pepperId,
      scope,
      resource,
      created_at: now,
      expires_at: new Date(now.getTime() + REFRESH_TOKEN_TTL_MS),
    });
    refreshToken = r;
  }
  return {
    refreshId: refreshToken?.id ?? null,
    body: {
      access_token: access.plaintext,
      token_type: "Bearer",
      expires_in: Math.floor(ACCESS_TOKEN_TTL_MS / 1000),
      scope,
      ...(refreshToken ? { refresh_token: refreshToken.plaintext } : {}),
    },
  };
}

/** Whether a bearer looks like an OAuth access token (so API-key lookup can be skipped). */
export function isAccessTokenBearer(bearer: string): boolean {
  return bearer.startsWith(ACCESS_PREFIX);
}

/**
 * Turns an OAuth access token into a Principal: one query by id, then the hash, expiry, revocation (of
 * the token or its grant) and the resource binding (RFC 8707: tokens are for `<PUBLIC_URL>/mcp` only).
 * Refresh tokens and codes are never access tokens. Any failure is null (the caller answers 401).
 */
export async function authenticateAccessToken(deps: Deps, bearer: string): Promise<Principal | null> {
  const parts = splitBearer(bearer);
  if (!parts || !parts.id.startsWith(ACCESS_PREFIX)) return null;
  const row = await findTokenWithGrant(deps.db, parts.id);
  // Checked before `row`: an unknown id is hashed too, so it costs what a wrong secret costs.
  if (!await secretMatches(deps, row, parts.secret) || !row) return null;
  const now = deps.clock.now();
  if (row.kind !== "access" || row.revoked_at || row.grant_revoked_at) return null;
  if (row.expires_at.getTime() <= now.getTime()) return null;
  if (row.resource !== mcpResource(deps.config)) return null;
  if (touchDue(row.grant_last_used_at, now)) await touchGrant(deps.db, row.grant_id, now);
  return {
    userId: row.user_id,
    email: row.email,
    isAdmin: row.is_admin,
    via: { kind: "oauth", clientId: row.client_id, grantId: row.grant_id, tokenId: row.id },
    workspaceIds: row.workspace_ids,
    canWrite: scopeCanWrite(row.scope),
  };
}
