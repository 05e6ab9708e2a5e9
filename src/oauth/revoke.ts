import { Hono } from "hono";
import { splitBearer } from "../auth/credentials.ts";
import type { AppEnv } from "../http/env.ts";
import { findTokenWithGrant, revokeGrant, revokeToken } from "../store/oauth_repo.ts";
import type { DocumentFetchOptions } from "./client_metadata_document.ts";
import { authenticateClient } from "./clients.ts";
import { noStore, OAuthError } from "./errors.ts";
import { readForm } from "./token.ts";
import { ACCESS_PREFIX, REFRESH_PREFIX, secretMatches } from "./tokens.ts";

/**
 * `POST /oauth/revoke` (RFC 7009). An access token is revoked alone; a refresh token takes its whole
 * grant with it (§2.1). Unknown tokens, or another client's, answer 200 as well (§2.2).
 */
export function revokeRouter(options: DocumentFetchOptions = {}) {
  const app = new Hono<AppEnv>();
  app.post("/oauth/revoke", async function revoke(c) {
    const deps = c.get("deps");
    const params = await readForm(c.req.raw);
    const client = await authenticateClient(deps, c, params, options);
    const token = params.get("token");
    if (!token) throw new OAuthError("invalid_request", "token is required (RFC 7009 §2.1)");
    const parts = splitBearer(token);
    const known = parts && (parts.id.startsWith(ACCESS_PREFIX) || parts.id.startsWith(REFRESH_PREFIX));
    const row = known ? await findTokenWithGrant(deps.db, parts.id) : null;
    if (row && row.client_id === client.id && await secretMatches(deps, row, parts!.secret)) {
      const now = deps.clock.now();
      if (row.kind === "refresh") await revokeGrant(deps.db, row.grant_id, now);
      else await revokeToken(deps.db, row.id, now);
    }
    noStore(c);
    return c.body(null, 200);
  });
  return app;
}
