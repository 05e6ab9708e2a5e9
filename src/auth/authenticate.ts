import type { Deps } from "../deps.ts";
import { authenticateAccessToken, isAccessTokenBearer } from "../oauth/tokens.ts";
import { authenticateApiKey } from "./api_keys.ts";
import type { Principal } from "./principal.ts";

/** Reads `Bearer <token>` from an Authorization header value; null when absent or another scheme. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/**
 * Turns a bearer token into a Principal: a personal API key, or an OAuth access token, told
 * apart by the id's prefix so each is one lookup. OAuth tokens carry their grant's workspaces and scope.
 */
export async function authenticateBearer(deps: Deps, token: string): Promise<Principal | null> {
  if (isAccessTokenBearer(token)) return await authenticateAccessToken(deps, token);
  return await authenticateApiKey(deps, token);
}
