import { createHmac, timingSafeEqual as nodeTimingSafeEqual } from "node:crypto";

const enc = new TextEncoder();

/** `n` random bytes as base64url without padding. */
export function randomToken(n = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(n)));
}

export function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A new object id: lowercase letters and digits, 24 characters, starting with a letter so it is a
 * valid identifier everywhere (URLs, CSS, table names). 120 bits of randomness.
 */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let s = ID_ALPHABET[10 + (bytes[0] % 26)];
  for (let i = 1; i < 24; i++) s += ID_ALPHABET[bytes[i] % 36];
  return s;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return toHex(new Uint8Array(digest));
}

/**
 * HMAC-SHA256 as hex. node:crypto rather than WebCrypto: this runs on every authenticated request and
 * every ingested event, and a synchronous HMAC costs ~8 µs where importKey + subtle.sign cost ~90 µs
 * plus two trips through the async op queue (measured with bench/mcp.ts). It returns a promise, as a
 * WebCrypto HMAC would, so callers do not depend on which one runs.
 */
export function hmacSha256Hex(key: string, data: string): Promise<string> {
  return Promise.resolve(createHmac("sha256", key).update(data).digest("hex"));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings in time that depends only on their lengths. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ab = enc.encode(a);
  const bb = enc.encode(b);
  if (ab.length !== bb.length) {
    // Still do the work so a length mismatch is not measurably faster.
    nodeTimingSafeEqual(ab, ab);
    return false;
  }
  return nodeTimingSafeEqual(ab, bb);
}
