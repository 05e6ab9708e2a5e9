import { fromBase64, randomToken, timingSafeEqual, toBase64Url } from "./crypto.ts";

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256. Stored with each hash so it can be raised later.
export const PBKDF2_ITERATIONS = 600_000;

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return toBase64Url(new Uint8Array(bits));
}

/** `pbkdf2-sha256$<iterations>$<salt>$<hash>`; never reversible. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomToken(16);
  return `pbkdf2-sha256$${iterations}$${salt}$${await derive(password, fromBase64(salt), iterations)}`;
}

/** Constant-time check of `password` against a stored {@linkcode hashPassword} value. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? "").split("$");
  if (parts.length !== 4 || parts[0] !== "pbkdf2-sha256") {
    // Spend comparable time so unknown users are not distinguishable by timing.
    await derive(password, new Uint8Array(16), PBKDF2_ITERATIONS);
    return false;
  }
  const iterations = Number(parts[1]);
  const actual = await derive(password, fromBase64(parts[2]), iterations);
  return timingSafeEqual(actual, parts[3]);
}
