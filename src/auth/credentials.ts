/**
 * How Sluice checks a credential it stores hashed: API keys, OAuth tokens and codes, stream write keys.
 * A credential is `id:secret`; the row found by `id` holds a salt, the id of the pepper it was hashed
 * under and HMAC-SHA256(pepper, salt:secret). Login sessions are looked up by a hash of the cookie, so
 * they share only the last-used rule ({@linkcode touchDue}).
 */
import { hmacSha256Hex, randomToken, timingSafeEqual } from "./crypto.ts";
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

/** Splits `id:secret`; null when the value is not of that shape. */
export function splitBearer(value: string): { id: string; secret: string } | null {
  const i = value.indexOf(":");
  if (i <= 0 || i === value.length - 1) return null;
  return { id: value.slice(0, i), secret: value.slice(i + 1) };
}

/** What a row stores for a hashed secret (the column names of api_keys, oauth_tokens, stream_keys). */
export interface StoredSecret {
  salt: string;
  hash: string;
  pepper_id: string;
}

/** The hash function {@linkcode verifySecret} uses; a test passes a counting one. */
export type SecretHasher = typeof hashSecret;

/**
 * Whether `secret` matches `stored` (compared in constant time). `stored` is null when no row has the
 * id: the secret is then hashed anyway, as it is under a pepper this server does not know, so an
 * unknown id or pepper costs the same as a wrong secret and timing does not reveal which ids exist.
 */
export async function verifySecret(
  secrets: Secrets,
  { stored, secret, hasher = hashSecret }: {
    stored: StoredSecret | null;
    secret: string;
    hasher?: SecretHasher;
  },
): Promise<boolean> {
  if (!stored || secrets.pepper(stored.pepper_id) === undefined) {
    await hasher(secrets, secrets.currentPepperId, "x", secret);
    return false;
  }
  return timingSafeEqual(await hasher(secrets, stored.pepper_id, stored.salt, secret), stored.hash);
}

/** A verified secret stored under an older pepper, hashed again under the current one; else undefined. */
export async function rehashIfStale(secrets: Secrets, stored: StoredSecret, secret: string) {
  return stored.pepper_id === secrets.currentPepperId ? undefined : await newSecretHash(secrets, secret);
}

/** A credential records its last use at most this often, so a busy key is not a write per request. */
export const TOUCH_EVERY_MS = 60_000;

/**
 * Whether a credential last used at `lastUsedAt` should record a use at `now`. Synchronous on purpose:
 * it runs on every authenticated request, cached ones included.
 */
export function touchDue(lastUsedAt: Date | null, now: Date): boolean {
  return !lastUsedAt || now.getTime() - lastUsedAt.getTime() > TOUCH_EVERY_MS;
}
