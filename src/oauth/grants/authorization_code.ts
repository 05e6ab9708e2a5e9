import { splitBearer } from "../../auth/credentials.ts";
import { timingSafeEqual, toBase64Url } from "../../auth/crypto.ts";
import type { Deps } from "../../deps.ts";
import {
  consumeCode,
  findCode,
  findGrant,
  type OAuthClientRow,
  revokeGrant,
} from "../../store/oauth_repo.ts";
import { OAuthError } from "../errors.ts";
import { resolveResource } from "../resource.ts";
import { CODE_PREFIX, issueTokens, secretMatches } from "../tokens.ts";

// RFC 7636 §4.1: 43 to 128 unreserved characters.
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function invalidGrant(description: string): OAuthError {
  return new OAuthError("invalid_grant", description);
}

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return toBase64Url(new Uint8Array(digest));
}

/**
 * The authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 8707 §2.2). Everything is checked
 * before the code is spent, so a request with a wrong verifier does not burn it; a code presented again
 * after it was spent revokes the grant and every token it issued (RFC 6749 §4.1.2).
 */
export async function authorizationCodeGrant(deps: Deps, client: OAuthClientRow, params: URLSearchParams) {
  const code = params.get("code");
  const verifier = params.get("code_verifier");
  if (!code) throw new OAuthError("invalid_request", "code is required (RFC 6749 §4.1.3)");
  if (!verifier) throw new OAuthError("invalid_request", "code_verifier is required (RFC 7636 §4.5)");
  if (!VERIFIER.test(verifier)) {
    throw new OAuthError(
      "invalid_request",
      "code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)",
    );
  }
  const parts = splitBearer(code);
  const row = parts?.id.startsWith(CODE_PREFIX) ? await findCode(deps.db, parts.id) : null;
  if (!parts || !await secretMatches(deps, row, parts.secret) || !row) {
    throw invalidGrant("The authorization code is invalid");
  }
  const now = deps.clock.now();
  if (row.client_id !== client.id) throw invalidGrant("The authorization code was issued to another client");
  if (row.used_at) {
    await revokeGrant(deps.db, row.grant_id, now);
    throw invalidGrant("The authorization code was already used; the tokens it issued are revoked");
  }
  if (row.expires_at.getTime() <= now.getTime()) throw invalidGrant("The authorization code expired");
  const redirectUri = params.get("redirect_uri");
  if (
    row.redirect_uri_given
      ? redirectUri !== row.redirect_uri
      : redirectUri !== null && redirectUri !== row.redirect_uri
  ) {
    throw invalidGrant("redirect_uri does not match the authorization request (RFC 6749 §4.1.3)");
  }
  if (!timingSafeEqual(await s256(verifier), row.code_challenge)) {
    throw invalidGrant("code_verifier does not match the code_challenge (RFC 7636 §4.6)");
  }
  if (params.has("resource") && resolveResource(deps.config, params.get("resource")) !== row.resource) {
    throw new OAuthError(
      "invalid_target",
      "resource does not match the authorization request (RFC 8707 §2.2)",
    );
  }
  const grant = await findGrant(deps.db, row.grant_id);
  if (!grant || grant.revoked_at) throw invalidGrant("The authorization was revoked");
  // Spent atomically: of two concurrent exchanges only one wins; the other is a replay.
  if (!await consumeCode(deps.db, row.id, now)) {
    await revokeGrant(deps.db, row.grant_id, now);
    throw invalidGrant("The authorization code was already used; the tokens it issued are revoked");
  }
  const issued = await issueTokens(deps, deps.db, {
    grantId: grant.id,
    scope: row.scope,
    resource: row.resource,
  });
  return issued.body;
}
