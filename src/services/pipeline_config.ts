/**
 * What the ingest and the pipeline read of the configuration: internal, never exposed over REST or
 * MCP, because it returns decrypted credentials and stored key hashes.
 */
import { TtlCache } from "../cache.ts";
import type { Deps } from "../deps.ts";
import { destinationType } from "../resources/destinations/catalog.ts";
import type { Queryable } from "../store/db.ts";
import { type ConfigObjectRow, connectionsFrom, findConfigObjects } from "../store/resources_repo.ts";
import { findLiveStreamKeys, type StreamKeyKind, type StreamKeyRow } from "../store/stream_keys_repo.ts";
import { chainFunctionId } from "./resource_checks.ts";
import { plainConfig } from "./resource_objects.ts";

export { touchStreamKey } from "../store/stream_keys_repo.ts";

/** A write key of a live stream, with what verifying its secret needs (see auth/credentials.ts). */
export interface StreamKeyLookup {
  workspaceId: string;
  streamId: string;
  keyId: string;
  kind: StreamKeyKind;
  salt: string;
  hash: string;
  pepperId: string;
  lastUsedAt: Date | null;
}

/**
 * The streams a write key id `keyId` may belong to, oldest key first: key ids are unique per workspace,
 * so two workspaces may have picked the same one, and the secret tells them apart. Empty for an unknown
 * key or a deleted stream. The caller verifies the secret with verifySecret() (auth/credentials.ts).
 */
export async function findStreamsByKeyId(db: Queryable, keyId: string): Promise<StreamKeyLookup[]> {
  return (await findLiveStreamKeys(db, keyId)).map(lookup);
}

/** The oldest of {@linkcode findStreamsByKeyId}, or null. */
export async function findStreamByKeyId(db: Queryable, keyId: string): Promise<StreamKeyLookup | null> {
  return (await findStreamsByKeyId(db, keyId))[0] ?? null;
}

function lookup(k: StreamKeyRow): StreamKeyLookup {
  return {
    workspaceId: k.workspace_id,
    streamId: k.stream_id,
    keyId: k.id,
    kind: k.kind,
    salt: k.salt,
    hash: k.hash,
    pepperId: k.pepper_id,
    lastUsedAt: k.last_used_at,
  };
}

/** A live push connection as the pipeline runs it: decrypted, with its function chain's code. */
export interface LiveConnection {
  id: string;
  workspaceId: string;
  streamId: string;
  name: string;
  updatedAt: Date;
  /** The connection's options (`mode`, `batchSize`, ...) without functions and functionsEnv. */
  options: Record<string, unknown>;
  /** Given to functions as `ctx.props`; decrypted. */
  functionsEnv: Record<string, string>;
  /** The chain, in order. */
  functions: { id: string; name: string; code: string; updatedAt: Date }[];
  destination: {
    id: string;
    name: string;
    destinationType: string;
    deliverable: boolean;
    updatedAt: Date;
    /** Every field of the destination (credentials included, decrypted) but id and name. */
    config: Record<string, unknown>;
  };
}

/**
 * The live, enabled push connections of a stream, oldest first, each with its destination's decrypted
 * credentials, its decrypted functionsEnv and its functions' code in chain order.
 */
export async function liveConnectionsOf(
  deps: Pick<Deps, "db" | "secrets">,
  workspaceId: string,
  streamId: string,
): Promise<LiveConnection[]> {
  const conns = (await connectionsFrom(deps.db, workspaceId, streamId)).filter((c) => c.subtype === "push");
  if (conns.length === 0) return [];
  const plain = await Promise.all(conns.map((c) => plainConfig(deps, c)));
  const refIds = new Set<string>();
  for (const [i, c] of conns.entries()) {
    refIds.add(c.to_id!);
    for (const f of chainOf(plain[i])) refIds.add(chainFunctionId(f.functionId));
  }
  const refs = new Map<string, ConfigObjectRow>(
    (await findConfigObjects(deps.db, workspaceId, [...refIds])).map((r) => [r.id, r]),
  );
  const out: LiveConnection[] = [];
  for (const [i, c] of conns.entries()) {
    const data = (plain[i].data ?? {}) as Record<string, unknown>;
    const dest = refs.get(c.to_id!);
    if (data.disabled === true || dest?.type !== "destination") continue;
    const { name: _n, destinationType: dt, ...destConfig } = await plainConfig(deps, dest);
    const functions = [];
    for (const f of chainOf(plain[i])) {
      const fn = refs.get(chainFunctionId(f.functionId));
      if (fn?.type !== "function") continue;
      functions.push({ id: fn.id, name: fn.name, code: String(fn.config.code), updatedAt: fn.updated_at });
    }
    const { functions: _f, functionsEnv, ...options } = data;
    out.push({
      id: c.id,
      workspaceId,
      streamId,
      name: c.name,
      updatedAt: c.updated_at,
      options,
      functionsEnv: (functionsEnv ?? {}) as Record<string, string>,
      functions,
      destination: {
        id: dest.id,
        name: dest.name,
        destinationType: String(dt),
        deliverable: destinationType(String(dt))?.deliverable ?? false,
        updatedAt: dest.updated_at,
        config: destConfig,
      },
    });
  }
  return out;
}

/**
 * How long the pipeline reuses a stream's live connections (decrypted) before reading them again. A
 * change made through the services (src/services/resources.ts) applies at once in the instance that
 * made it ({@linkcode forgetLiveConnections}); in other instances, and after a change made around the
 * services, within this delay.
 */
export const LIVE_CONNECTIONS_CACHE_MS = 2000;
const MAX_CACHED_STREAMS = 10_000;

/** One cache per store (an app's Db; two apps on one database each have their own). */
const liveCaches = new WeakMap<object, TtlCache<Promise<LiveConnection[]>>>();

function liveCacheOf(db: object): TtlCache<Promise<LiveConnection[]>> {
  let c = liveCaches.get(db);
  if (!c) {
    c = new TtlCache(MAX_CACHED_STREAMS);
    liveCaches.set(db, c);
  }
  return c;
}

/**
 * {@linkcode liveConnectionsOf}, reused for {@linkcode LIVE_CONNECTIONS_CACHE_MS}: the pipeline plans
 * every chunk with it, so a busy stream costs two queries and the decryption of its secrets once per
 * period, not once per chunk. Concurrent misses share one read. The objects returned are shared by
 * every caller: read them, never change them.
 */
export function cachedLiveConnections(
  deps: Pick<Deps, "db" | "secrets" | "clock">,
  workspaceId: string,
  streamId: string,
): Promise<LiveConnection[]> {
  const cache = liveCacheOf(deps.db);
  const key = `${workspaceId}/${streamId}`;
  const now = deps.clock.now().getTime();
  const hit = cache.get(key, now);
  if (hit) return hit.value;
  const read = liveConnectionsOf(deps, workspaceId, streamId);
  cache.set(key, read, now + LIVE_CONNECTIONS_CACHE_MS);
  // A failed read is not remembered (the database may be back for the next chunk).
  read.catch(() => {
    if (cache.get(key, deps.clock.now().getTime())?.value === read) cache.delete(key);
  });
  return read;
}

/**
 * Forgets every cached live connection of this store: called after a configuration write commits, so
 * the next chunk planned in this instance sees it.
 */
export function forgetLiveConnections(deps: Pick<Deps, "db">): void {
  liveCaches.get(deps.db)?.clear();
}

function chainOf(config: Record<string, unknown>): { functionId: string }[] {
  const data = (config.data ?? {}) as { functions?: { functionId: string }[] };
  return data.functions ?? [];
}
