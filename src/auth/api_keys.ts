import type { Deps } from "../deps.ts";
import { touchApiKey } from "../store/api_keys_repo.ts";
import { rehashIfStale, splitBearer, touchDue, verifySecret } from "./credentials.ts";
import type { Principal } from "./principal.ts";

/** First three and last three characters, as Jitsu shows keys. */
export function secretHint(secret: string): string {
  return `${secret.slice(0, 3)}*${secret.slice(-3)}`;
}

/**
 * Checks `id:secret` against the stored key: unknown, wrong secret, revoked and expired keys all give
 * null (the caller answers 401 without saying which). A key hashed under an older pepper is re-hashed.
 */
export async function authenticateApiKey(deps: Deps, bearer: string): Promise<Principal | null> {
  const parts = splitBearer(bearer);
  if (!parts) return null;
  const key = await deps.apiKeys.find(parts.id);
  if (!key) {
    await verifySecret(deps.secrets, { stored: null, secret: parts.secret }); // costs what a real check costs
    return null;
  }
  // The cache's remembered secret spares the HMAC on a busy key (see key_cache.ts); any other is hashed.
  if (!deps.apiKeys.isVerified(key, parts.secret)) {
    if (!await verifySecret(deps.secrets, { stored: key, secret: parts.secret })) return null;
    deps.apiKeys.rememberVerified(key, parts.secret);
  }
  const now = deps.clock.now();
  if (key.revoked_at) return null;
  if (key.expires_at && key.expires_at.getTime() <= now.getTime()) return null;
  const stalePepper = key.pepper_id !== deps.secrets.currentPepperId;
  if (stalePepper || touchDue(key.last_used_at, now)) {
    // The row may be the cached one: mark it used now, so concurrent requests do not all write too.
    key.last_used_at = now;
    await touchApiKey(deps.db, key.id, now, await rehashIfStale(deps.secrets, key, parts.secret));
  }
  return {
    userId: key.user_id,
    email: key.user_email,
    isAdmin: key.user_is_admin,
    via: { kind: "api_key", keyId: key.id },
    workspaceIds: null,
    canWrite: true,
  };
}
