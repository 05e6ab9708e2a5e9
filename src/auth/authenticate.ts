import type { Deps } from "../deps.ts";
import { authenticateApiKey } from "./api_keys.ts";
import type { Principal } from "./principal.ts";

/** Reads `Bearer <token>` from an Authorization header value; null when absent or another scheme. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/**
 * Turns a bearer token into a Principal. Personal API keys today; OAuth access tokens are looked up
 * here too once the authorization server exists (issue 5), so every face accepts both.
 */
export async function authenticateBearer(deps: Deps, token: string): Promise<Principal | null> {
  return await authenticateApiKey(deps, token);
}
