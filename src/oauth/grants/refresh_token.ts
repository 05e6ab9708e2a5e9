import { splitBearer } from "../../auth/credentials.ts";
import type { Deps } from "../../deps.ts";
import {
  findTokenWithGrant,
  type OAuthClientRow,
  revokeGrant,
  rotateRefreshToken,
  useRefreshGrace,
} from "../../store/oauth_repo.ts";
import { OAuthError } from "../errors.ts";
import { parseScope, resolveResource, SCOPES_SUPPORTED } from "../resource.ts";
import { issueTokens, REFRESH_PREFIX, secretMatches } from "../tokens.ts";

/**
 * How long a rotated refresh token still works, once: two sessions of one client racing, or a
 * response lost on the way, must not log the user out. Reuse after that revokes the grant.
 */
export const REFRESH_GRACE_MS = 60_000;

function invalidGrant(description: string): OAuthError {
  return new OAuthError("invalid_grant", description);
}

/** The narrowed scope a refresh asks for; it may only drop scopes (RFC 6749 §6). */
function narrowedScope(current: string, requested: string | null): string {
  if (requested === null) return current;
  const have = parseScope(current);
  const want = parseScope(requested);
  if (want.length === 0 || !want.every((s) => have.includes(s))) {
    throw new OAuthError(
      "invalid_scope",
      `A refresh can only keep or narrow the granted scope "${current}" (RFC 6749 §6)`,
    );
  }
  return SCOPES_SUPPORTED.filter((s) => want.includes(s)).join(" ");
}

/**
 * The refresh_token grant (RFC 6749 §6; OAuth 2.1 §4.3.1 rotation). Every use rotates the token; the
 * resource is the grant's (a client omitting it or adding a trailing slash still works).
 */
export async function refreshTokenGrant(deps: Deps, client: OAuthClientRow, params: URLSearchParams) {
  const presented = params.get("refresh_token");
  if (!presented) throw new OAuthError("invalid_request", "refresh_token is required (RFC 6749 §6)");
  const parts = splitBearer(presented);
  // An API key or access token is never a refresh token: refused by its id before any lookup.
  const row = parts?.id.startsWith(REFRESH_PREFIX) ? await findTokenWithGrant(deps.db, parts.id) : null;
  if (!parts || !await secretMatches(deps, row, parts.secret) || !row || row.kind !== "refresh") {
    throw invalidGrant("The refresh token is invalid");
  }
  if (row.client_id !== client.id) throw invalidGrant("The refresh token was issued to another client");
  const now = deps.clock.now();
  if (row.revoked_at || row.grant_revoked_at) throw invalidGrant("The refresh token was revoked");
  if (row.expires_at.getTime() <= now.getTime()) throw invalidGrant("The refresh token expired");
  if (params.has("resource") && resolveResource(deps.config, params.get("resource")) !== row.resource) {
    throw new OAuthError(
      "invalid_target",
      "resource must be the one this grant was made for (RFC 8707 §2.2)",
    );
  }
  const scope = narrowedScope(row.scope, params.get("scope"));

  const rotated = await rotateRefreshToken(deps.db, row.id, now);
  if (!rotated) {
    const graceFrom = new Date(now.getTime() - REFRESH_GRACE_MS);
    if (!await useRefreshGrace(deps.db, row.id, now, graceFrom)) {
      // Reuse of a rotated token: it may have been stolen, so the whole grant goes (RFC 9700 §4.14.2).
      await revokeGrant(deps.db, row.grant_id, now);
      throw invalidGrant("The refresh token was already used; the connection is revoked, sign in again");
    }
  }
  const issued = await issueTokens(deps, deps.db, { grantId: row.grant_id, scope, resource: row.resource });
  return issued.body;
}
