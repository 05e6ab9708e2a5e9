import type { Deps } from "../deps.ts";
import type { OAuthClientRow } from "../store/oauth_repo.ts";
import type { DocumentFetchOptions } from "./client_metadata_document.ts";
import { resolveClient } from "./clients.ts";
import { OAuthError, type OAuthErrorCode } from "./errors.ts";
import { matchRedirectUri } from "./redirect_uris.ts";
import { issuer, parseScope, resolveResource, SCOPE_WRITE } from "./resource.ts";

/** A validated authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636 §4.3, and RFC 8707). */
export interface AuthorizationRequest {
  client: OAuthClientRow;
  redirectUri: string;
  /** Whether redirect_uri was in the request (then the token request must repeat it, RFC 6749 §4.1.3). */
  redirectUriGiven: boolean;
  state: string | null;
  codeChallenge: string;
  resource: string;
  /** The client asked for write access (the consent page says so; the user still decides). */
  wantsWrite: boolean;
}

/** The outcome: a request to show consent for, an error to redirect with, or one to show on a page. */
export type AuthorizationCheck =
  | { kind: "ok"; request: AuthorizationRequest }
  | { kind: "redirect"; location: string }
  | { kind: "page"; status: 400; message: string };

/** The redirect back to the client: the result parameters plus `state` and `iss` (RFC 9207 §2). */
export function clientRedirect(
  deps: Deps,
  redirectUri: string,
  state: string | null,
  result: Record<string, string>,
): string {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(result)) u.searchParams.set(k, v);
  if (state !== null) u.searchParams.set("state", state);
  u.searchParams.set("iss", issuer(deps.config));
  return u.toString();
}

/** The authorization error redirect (RFC 6749 §4.1.2.1). */
export function errorRedirect(
  deps: Deps,
  redirectUri: string,
  state: string | null,
  error: OAuthErrorCode,
  description: string,
): string {
  return clientRedirect(deps, redirectUri, state, { error, error_description: description });
}

// RFC 7636 §4.2: the S256 challenge is BASE64URL(SHA256(verifier)), 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Validates an authorization request. The client and redirect URI are checked first: until both are
 * known good, errors are shown on a page and never redirected (RFC 6749 §4.1.2.1, no open redirect).
 */
export async function checkAuthorizationRequest(
  deps: Deps,
  params: URLSearchParams,
  options: DocumentFetchOptions = {},
): Promise<AuthorizationCheck> {
  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1) {
      return { kind: "page", status: 400, message: `The parameter "${name}" is repeated (RFC 6749 §3.1).` };
    }
  }
  const clientId = params.get("client_id") ?? "";
  let client: OAuthClientRow | null;
  try {
    client = await resolveClient(deps, clientId, options);
  } catch (e) {
    const why = e instanceof OAuthError ? e.message : "it could not be loaded";
    return { kind: "page", status: 400, message: `This app cannot sign in: ${why}` };
  }
  if (!client) {
    return {
      kind: "page",
      status: 400,
      message: clientId
        ? "This app cannot sign in: its client_id is not registered here. Reconnect it to register again."
        : "This app cannot sign in: the request has no client_id.",
    };
  }
  const requested = params.get("redirect_uri");
  const redirectUri = matchRedirectUri(client.redirect_uris, requested);
  if (!redirectUri) {
    return {
      kind: "page",
      status: 400,
      message: requested
        ? "This app cannot sign in: its redirect_uri is not one it registered."
        : "This app cannot sign in: the request has no redirect_uri.",
    };
  }
  const state = params.get("state");
  const fail = (error: OAuthErrorCode, description: string): AuthorizationCheck => ({
    kind: "redirect",
    location: errorRedirect(deps, redirectUri, state, error, description),
  });
  if (params.get("response_type") !== "code") {
    return fail("unsupported_response_type", 'response_type must be "code"');
  }
  const challenge = params.get("code_challenge");
  const method = params.get("code_challenge_method");
  if (!challenge) return fail("invalid_request", "code_challenge is required (PKCE, RFC 7636 §4.4.1)");
  if (method !== "S256") {
    return fail(
      "invalid_request",
      "code_challenge_method must be S256; plain is not supported (RFC 7636 §4.3)",
    );
  }
  if (!S256_CHALLENGE.test(challenge)) {
    return fail("invalid_request", "code_challenge must be 43 base64url characters (RFC 7636 §4.2)");
  }
  const resource = resolveResource(deps.config, params.get("resource"));
  if (!resource) {
    return fail("invalid_target", `resource must be ${resolveResource(deps.config, null)} (RFC 8707 §2)`);
  }
  return {
    kind: "ok",
    request: {
      client,
      redirectUri,
      redirectUriGiven: requested !== null && requested !== "",
      state,
      codeChallenge: challenge,
      resource,
      wantsWrite: parseScope(params.get("scope")).includes(SCOPE_WRITE),
    },
  };
}
