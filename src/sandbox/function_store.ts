/**
 * `ctx.store`: a per-workspace key-value store with TTL (Jitsu's `store` contract: get, set, del, ttl,
 * getWithTTL). The database implementation is in store/function_store_repo.ts; the memory one here
 * serves `function/run` (a test run must not touch the real store) and unit tests.
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import type { Queryable } from "../store/db.ts";
import { deleteStoreEntry, selectStoreEntry, upsertStoreEntry } from "../store/function_store_repo.ts";

/** The store one workspace's functions see. Values are JSON. */
export interface FunctionStore {
  get(key: string): Promise<unknown>;
  /** `ttlSeconds` null = keep until deleted (callers pass `parseTtl()`'s result: 31 days by default). */
  set(key: string, value: unknown, ttlSeconds: number | null): Promise<void>;
  del(key: string): Promise<void>;
  /** Seconds left; -1 when the key never expires; -2 when it does not exist (Redis' TTL semantics). */
  ttl(key: string): Promise<number>;
  getWithTTL(key: string): Promise<{ value: unknown; ttl: number } | undefined>;
}

export const MAX_KEY_LENGTH = 512;
export const MAX_VALUE_BYTES = 256 * 1024;

/** Thrown for a bad store call; the message reaches the user's function as a rejected promise. */
export class StoreUsageError extends Error {
  override name = "StoreUsageError";
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A key set without a TTL lives this long, as in Jitsu: 31 days. */
export const DEFAULT_TTL_SECONDS = 31 * 24 * 3600;
/** The longest TTL (Jitsu's, Redis' limit): about 68 years. */
export const MAX_TTL_SECONDS = 2147483647;

/**
 * Jitsu's `set(key, value, opts)` TTL argument: seconds as a number, a string like `"30m"`, `"1d"`,
 * `"inf"`, or `{ttl: <either>}`. Absent: 31 days (Jitsu's default). `-1` or `"inf"`: never expires
 * (returns null). Unlike Jitsu, which falls back to the default, an unreadable TTL is an error.
 */
export function parseTtl(opts: unknown): number | null {
  const raw = typeof opts === "object" && opts !== null ? (opts as { ttl?: unknown }).ttl : opts;
  if (raw === undefined || raw === null) return DEFAULT_TTL_SECONDS;
  if (raw === -1 || (typeof raw === "string" && /^\s*(inf|-1)\s*$/i.test(raw))) return null;
  if (typeof raw === "number" && Number.isFinite(raw) && raw > 0) {
    return Math.min(Math.ceil(raw), MAX_TTL_SECONDS);
  }
  if (typeof raw === "string") {
    const m = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(raw);
    if (m) return Math.min(Number(m[1]) * UNIT_SECONDS[(m[2] || "s").toLowerCase()], MAX_TTL_SECONDS);
  }
  throw new StoreUsageError(
    `Cannot set store key: ttl ${JSON.stringify(raw)} must be seconds (> 0), a string like "30m" or "1d", ` +
      `or "inf" / -1 for no expiry`,
  );
}

/** Throws unless `key` is 1-512 characters. */
export function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new StoreUsageError(`Cannot use store key: it must be 1-${MAX_KEY_LENGTH} characters`);
  }
}

/** Checks a key and serialises its value; returns the JSON text to store. */
export function checkEntry(key: string, value: unknown): string {
  checkKey(key);
  if (value === undefined) throw new StoreUsageError(`Cannot set store key "${key}": value is undefined`);
  const json = JSON.stringify(value);
  if (new TextEncoder().encode(json).length > MAX_VALUE_BYTES) {
    throw new StoreUsageError(`Cannot set store key "${key}": value is larger than ${MAX_VALUE_BYTES} bytes`);
  }
  return json;
}

interface MemoryEntry {
  value: unknown;
  expiresAt: number | null;
}

/** An in-memory store, optionally seeded with `{key: value}`; `dump()` returns the live entries. */
export function memoryFunctionStore(
  seed: Record<string, unknown> = {},
  clock: Clock = systemClock,
): FunctionStore & { dump(): Record<string, unknown> } {
  const map = new Map<string, MemoryEntry>();
  for (const [k, v] of Object.entries(seed)) map.set(k, { value: v, expiresAt: null });
  function live(key: string): MemoryEntry | undefined {
    const e = map.get(key);
    if (e && e.expiresAt !== null && e.expiresAt <= clock.now().getTime()) {
      map.delete(key);
      return undefined;
    }
    return e;
  }
  function ttlOf(e: MemoryEntry): number {
    return e.expiresAt === null ? -1 : Math.max(0, Math.ceil((e.expiresAt - clock.now().getTime()) / 1000));
  }
  return {
    // async: a bad key rejects the promise, as the database store does, instead of throwing.
    async get(key) {
      checkKey(key);
      return await structuredClone(live(key)?.value);
    },
    async set(key, value, ttlSeconds) {
      const json = checkEntry(key, value);
      const expiresAt = ttlSeconds === null ? null : clock.now().getTime() + ttlSeconds * 1000;
      await map.set(key, { value: JSON.parse(json), expiresAt });
    },
    async del(key) {
      checkKey(key);
      await map.delete(key);
    },
    async ttl(key) {
      checkKey(key);
      const e = live(key);
      return await (e ? ttlOf(e) : -2);
    },
    async getWithTTL(key) {
      checkKey(key);
      const e = live(key);
      return await (e ? { value: structuredClone(e.value), ttl: ttlOf(e) } : undefined);
    },
    dump() {
      const out: Record<string, unknown> = {};
      for (const k of [...map.keys()]) {
        const e = live(k);
        if (e) out[k] = e.value;
      }
      return out;
    },
  };
}

function secondsLeft(expiresAt: Date | null, now: Date): number {
  return expiresAt === null ? -1 : Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000));
}

/** The persistent store of one workspace (table `function_store`). */
export function dbFunctionStore(
  db: Queryable,
  workspaceId: string,
  clock: Clock = systemClock,
): FunctionStore {
  return {
    async get(key) {
      checkKey(key);
      return (await selectStoreEntry(db, workspaceId, key, clock.now()))?.value;
    },
    async set(key, value, ttlSeconds) {
      const json = checkEntry(key, value);
      const now = clock.now();
      const expiresAt = ttlSeconds === null ? null : new Date(now.getTime() + ttlSeconds * 1000);
      await upsertStoreEntry(db, workspaceId, key, json, expiresAt, now);
    },
    async del(key) {
      checkKey(key);
      await deleteStoreEntry(db, workspaceId, key);
    },
    async ttl(key) {
      checkKey(key);
      const now = clock.now();
      const row = await selectStoreEntry(db, workspaceId, key, now);
      return row ? secondsLeft(row.expires_at, now) : -2;
    },
    async getWithTTL(key) {
      checkKey(key);
      const now = clock.now();
      const row = await selectStoreEntry(db, workspaceId, key, now);
      return row ? { value: row.value, ttl: secondsLeft(row.expires_at, now) } : undefined;
    },
  };
}
