/**
 * Stream write keys on ingest: where a client puts its key (Jitsu's `getDataLocator` order)
 * and which stream it opens. A key is `keyId:secret`; only a salted, peppered hash of the secret is
 * stored. Verified results are cached for a few seconds so a busy key costs one HMAC, not a query, per
 * event; a deleted key or stream stops working within that time.
 */
import { rehashIfStale, splitBearer, touchDue, verifySecret } from "../auth/credentials.ts";
import type { Deps } from "../deps.ts";
import { findStreamsByKeyId, type StreamKeyLookup, touchStreamKey } from "../services/pipeline_config.ts";
import type { ResolvedKey } from "./write_key_cache.ts";

/** Where the key was found, for messages. */
export type KeyLocation = "authorization" | "x-write-key" | "query" | "body";

/**
 * The write key of a request: `Authorization: Basic base64("<key>:")` (Segment's form, key as user name),
 * `Authorization: Bearer <key>`, `X-Write-Key`, `?writekey=` / `?writeKey=`, then a batch body's `writeKey`.
 */
export function findWriteKey(
  headers: Headers,
  query: URLSearchParams,
  body?: unknown,
): { key: string; from: KeyLocation } | null {
  const auth = headers.get("authorization")?.trim();
  if (auth) {
    const [scheme, value = ""] = auth.split(/\s+/, 2);
    if (/^basic$/i.test(scheme)) {
      try {
        const decoded = decodeBase64Utf8(value);
        const key = decoded.endsWith(":") ? decoded.slice(0, -1) : decoded;
        if (key) return { key, from: "authorization" };
      } catch {
        // not base64: fall through to the other places
      }
    } else if (/^bearer$/i.test(scheme) && value) return { key: value, from: "authorization" };
  }
  const header = headers.get("x-write-key")?.trim();
  if (header) return { key: header, from: "x-write-key" };
  const q = query.get("writekey") ?? query.get("writeKey");
  if (q) return { key: q, from: "query" };
  const b = typeof body === "object" && body !== null ? (body as { writeKey?: unknown }).writeKey : undefined;
  if (typeof b === "string" && b) return { key: b, from: "body" };
  return null;
}

const utf8 = new TextDecoder();
// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** base64 -> UTF-8 text (atob gives one char per byte). A loop: Uint8Array.from(string, fn) was ~7% of ingest. */
function decodeBase64Utf8(value: string): string {
  const binary = atob(value);
  if (ASCII.test(binary)) return binary; // what every key is: one byte a character, nothing to decode
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return utf8.decode(bytes);
}

const CACHE_MS = 5_000;

// Real keys are `keyId:secret`, well under this; anything longer is refused without being remembered.
const MAX_KEY_LENGTH = 512;

/** `keyId:***`, how a key appears in Live Events. */
export function maskWriteKey(key: string): string {
  const i = key.indexOf(":");
  return i > 0 ? `${key.slice(0, i)}:***` : "***";
}

/** Verifies `keyId:secret`; null for a malformed, unknown or wrong key (the caller does not say which). */
export async function resolveWriteKey(
  deps: Pick<Deps, "db" | "secrets" | "clock" | "writeKeys">,
  key: string,
): Promise<ResolvedKey | null> {
  // Checked before the cache: a refused key is cached too, and a batch body can carry a 16 MB `writeKey`.
  if (key.length > MAX_KEY_LENGTH) return null;
  const cache = deps.writeKeys;
  const now = Date.now();
  const hit = cache.get(key, now);
  if (hit) return hit.value;
  const value = await verify(deps, key);
  cache.set(key, value, now + CACHE_MS);
  return value;
}

async function verify(
  deps: Pick<Deps, "db" | "secrets" | "clock">,
  key: string,
): Promise<ResolvedKey | null> {
  const parts = splitBearer(key);
  if (!parts) return null;
  // Usually one candidate; two workspaces that picked the same key id are told apart by the secret
  // (the oldest key wins if both also hold the same secret). No candidate still costs one hash.
  const candidates = await findStreamsByKeyId(deps.db, parts.id);
  let found: StreamKeyLookup | null = null;
  for (const c of candidates.length ? candidates : [null]) {
    const stored = c && { salt: c.salt, hash: c.hash, pepper_id: c.pepperId };
    if (await verifySecret(deps.secrets, { stored, secret: parts.secret }) && c) {
      found = c;
      break;
    }
  }
  if (!found) return null;
  const stored = { salt: found.salt, hash: found.hash, pepper_id: found.pepperId };
  const at = deps.clock.now();
  const rehash = await rehashIfStale(deps.secrets, stored, parts.secret);
  if (rehash || touchDue(found.lastUsedAt, at)) {
    // A failed write must not refuse a valid key: the use is recorded next time.
    await touchStreamKey(deps.db, { workspaceId: found.workspaceId, id: found.keyId }, at, rehash).catch(
      () => {},
    );
  }
  return { workspaceId: found.workspaceId, streamId: found.streamId, keyId: found.keyId, kind: found.kind };
}
