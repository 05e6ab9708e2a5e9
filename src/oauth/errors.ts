import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../http/env.ts";

/** The error codes of RFC 6749 §5.2, RFC 7591 §3.2.2 and RFC 8707 §2 that Sluice answers with. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "unsupported_token_type"
  | "slow_down"
  | "server_error";

/** An OAuth protocol error: `code` is the RFC error code, the message its `error_description`. */
export class OAuthError extends AppError {
  constructor(
    readonly oauthCode: OAuthErrorCode,
    description: string,
    { status = 400, basicChallenge = false }: { status?: number; basicChallenge?: boolean } = {},
  ) {
    super(oauthCode, description, { status, expose: true });
    this.basicChallenge = basicChallenge;
  }
  /** Answer 401 with `WWW-Authenticate: Basic` (RFC 6749 §5.2, client used HTTP Basic). */
  readonly basicChallenge: boolean;
}

/** Headers every OAuth JSON response carries (RFC 6749 §5.1: tokens and errors are never cached). */
export function noStore(c: Context) {
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
}

/**
 * The one OAuth error mapper (RFC 6749 §5.2): `{error, error_description}` JSON, `no-store`, 401 with a
 * challenge for `invalid_client`. Anything unexpected is logged and becomes a bare `server_error`.
 */
export function oauthErrorHandler(err: Error, c: Context<AppEnv>) {
  noStore(c);
  if (err instanceof OAuthError) {
    if (err.status === 401) {
      c.header("WWW-Authenticate", err.basicChallenge ? 'Basic realm="sluice"' : 'Bearer realm="sluice"');
    }
    return c.json({ error: err.oauthCode, error_description: err.message }, err.status as 400);
  }
  if (err instanceof AppError && err.expose) {
    // A body refused by size or type keeps its status, so a client can tell it from a bad parameter.
    const status = err.status === 413 || err.status === 415 ? err.status : 400;
    return c.json({ error: "invalid_request", error_description: err.message }, status);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const tooLarge = err.status === 413;
    return c.json({
      error: "invalid_request",
      error_description: tooLarge ? "Request body is too large" : err.message || "Bad request",
    }, err.status);
  }
  c.get("deps")?.log.error("unhandled OAuth error", { requestId: c.get("requestId"), error: err });
  return c.json({
    error: "server_error",
    error_description: `Internal error; the server log has details under request id ${c.get("requestId")}`,
  }, 500);
}
