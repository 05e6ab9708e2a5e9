import type { Context, Next } from "hono";
import { authenticateBearer, bearerToken } from "../auth/authenticate.ts";
import type { Principal } from "../auth/principal.ts";
import type { AppEnv } from "./env.ts";
import { errorBody } from "./rest_errors.ts";

/** What {@linkcode authenticateRequest} finds: who is calling, or the 401 to answer with. */
export type BearerOutcome = { principal: Principal; token: string } | { refused: Response };

/**
 * Authenticates `Authorization: Bearer ...` (an API key or an OAuth access token). REST and MCP both
 * come through here, so both refuse alike; `resourceMetadata` is MCP's RFC 9728 metadata URL.
 */
export async function authenticateRequest(
  c: Context<AppEnv>,
  { resourceMetadata }: { resourceMetadata?: string } = {},
): Promise<BearerOutcome> {
  const token = bearerToken(c.req.header("authorization"));
  const principal = token ? await authenticateBearer(c.get("deps"), token) : null;
  if (!token || !principal) {
    return { refused: unauthorized(c, { tokenSent: token !== null, resourceMetadata }) };
  }
  return { principal, token };
}

/**
 * The one 401 of REST and MCP: the REST error body (`invalid_token` when a bearer was sent and refused,
 * else `unauthorized`, the same codes as the challenge) and an RFC 6750 §3 `WWW-Authenticate: Bearer`
 * challenge, led by `resource_metadata` when given (RFC 9728 §5.1: how an MCP client finds the
 * authorization server).
 */
export function unauthorized(
  c: Context<AppEnv>,
  { tokenSent, resourceMetadata }: { tokenSent: boolean; resourceMetadata?: string },
): Response {
  const params = [
    ...(resourceMetadata ? [`resource_metadata="${resourceMetadata}"`] : []),
    ...(tokenSent ? ['error="invalid_token"'] : []),
  ];
  const message = tokenSent
    ? "Invalid, expired or revoked credentials"
    : "Authentication required: send Authorization: Bearer <keyId>:<keySecret> (an API key) " +
      "or an OAuth access token";
  return c.json(errorBody(c, tokenSent ? "invalid_token" : "unauthorized", message), 401, {
    "WWW-Authenticate": params.length ? `Bearer ${params.join(", ")}` : "Bearer",
  });
}

/** Authenticates the bearer and puts the service context on `c`; 401 otherwise. */
export async function requireAuth(c: Context<AppEnv>, next: Next) {
  const outcome = await authenticateRequest(c);
  if ("refused" in outcome) return outcome.refused;
  c.set("ctx", {
    ...c.get("deps"),
    principal: outcome.principal,
    requestId: c.get("requestId"),
    channel: "rest",
  });
  await next();
}
