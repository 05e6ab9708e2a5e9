import { Hono } from "hono";
import { MAX_FORM_BODY, readBodyText } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import type { DocumentFetchOptions } from "./client_metadata_document.ts";
import { authenticateClient } from "./clients.ts";
import { noStore, OAuthError } from "./errors.ts";
import { authorizationCodeGrant } from "./grants/authorization_code.ts";
import { refreshTokenGrant } from "./grants/refresh_token.ts";

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) of at most 64 KB, counted while reading
 * (413 past it); a parameter sent twice is an invalid_request (§3.1).
 */
export async function readForm(req: Request): Promise<URLSearchParams> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new OAuthError(
      "invalid_request",
      "The body must be application/x-www-form-urlencoded (RFC 6749 §3.2)",
    );
  }
  const params = new URLSearchParams(await readBodyText(req, MAX_FORM_BODY));
  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1) {
      throw new OAuthError("invalid_request", `The parameter "${name}" is repeated (RFC 6749 §3.1)`);
    }
  }
  return params;
}

const GRANTS = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
} as const;

/** `POST /oauth/token` (RFC 6749 §3.2): one handler per grant type under ./grants/. */
export function tokenRouter(options: DocumentFetchOptions = {}) {
  const app = new Hono<AppEnv>();
  app.post("/oauth/token", async function token(c) {
    const deps = c.get("deps");
    const params = await readForm(c.req.raw);
    const grantType = params.get("grant_type");
    const client = await authenticateClient(deps, c, params, options);
    if (!grantType) throw new OAuthError("invalid_request", "grant_type is required (RFC 6749 §4.1.3)");
    if (!Object.hasOwn(GRANTS, grantType)) {
      throw new OAuthError("unsupported_grant_type", `grant_type "${grantType}" is not supported`);
    }
    const body = await GRANTS[grantType as keyof typeof GRANTS](deps, client, params);
    noStore(c);
    return c.json(body, 200);
  });
  return app;
}
