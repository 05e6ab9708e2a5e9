import type { Deps } from "../deps.ts";
import { touchApiKey } from "../store/api_keys_repo.ts";
import { hmacSha256Hex, randomToken, timingSafeEqual } from "./crypto.ts";
import type { Principal } from "./principal.ts";
import type { Secrets } from "./secrets.ts";

/** Hash of a key or token secret: HMAC-SHA256 keyed by the pepper over salt and secret. */
export async function hashSecret(
  secrets: Secrets,
  pepperId: string,
  salt: string,
  secret: string,
): Promise<string> {
  const pepper = secrets.pepper(pepperId);
  if (!pepper) throw new Error(`Cannot hash: pepper "${pepperId}" is not configured`);
  return await hmacSha256Hex(pepper, `${salt}:${secret}`);
}

/** A fresh salt and hash of `secret` under the current pepper. */
export async function newSecretHash(secrets: Secrets, secret: string) {
  const salt = randomToken(16);
  const pepperId = secrets.currentPepperId;
  return { salt, pepperId, hash: await hashSecret(secrets, pepperId, salt, secret) };
}

/** First three and last three characters, as Jitsu shows keys. */
export function secretHint(secret: string): string {
  return `${secret.slice(0, 3)}*${secret.slice(-3)}`;
}

/** Splits `id:secret`; null when the value is not of that shape. */
export function splitBearer(value: string): { id: string; secret: string } | null {
  const i = value.indexOf(":");
  if (i <= 0 || i === value.length - 1) return null;
  return { id: value.slice(0, i), secret: value.slice(i + 1) };
}

// Only write last_used_at when the stored value is older than this, so a busy key is not a write per request.
const TOUCH_EVERY_MS = 60_000;

/**
 * Checks `id:secret` against the stored key: unknown, wrong secret, revoked and expired keys all give
 * null (the caller answers 401 without saying which). A key hashed under an older pepper is re-hashed.
 */
export async function authenticateApiKey(deps: Deps, bearer: string): Promise<Principal | null> {
  const parts = splitBearer(bearer);
  if (!parts) return null;
  const key = await deps.apiKeys.find(parts.id);
  if (!key) {
    // Do the same work as a real check so unknown ids are not distinguishable by timing.
    await hashSecret(deps.secrets, deps.secrets.currentPepperId, "x", parts.secret);
    return null;
  }
  if (!deps.apiKeys.isVerified(key, parts.secret)) {
    const pepperKnown = deps.secrets.pepper(key.pepper_id) !== undefined;
    const actual = await hashSecret(
      deps.secrets,
      pepperKnown ? key.pepper_id : deps.secrets.currentPepperId,
      key.salt,
      parts.secret,
    );
    if (!pepperKnown || !timingSafeEqual(actual, key.hash)) return null;
    deps.apiKeys.rememberVerified(key, parts.secret);
  }
  const now = deps.clock.now();
  if (key.revoked_at) return null;
  if (key.expires_at && key.expires_at.getTime() <= now.getTime()) return null;
  const stalePepper = key.pepper_id !== deps.secrets.currentPepperId;
  if (stalePepper || !key.last_used_at || now.getTime() - key.last_used_at.getTime() > TOUCH_EVERY_MS) {
    // The row may be the cached one: mark it used now, so concurrent requests do not all write too.
    key.last_used_at = now;
    await touchApiKey(
      deps.db,
      key.id,
      now,
      stalePepper ? await newSecretHash(deps.secrets, parts.secret) : undefined,
    );
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
