/**
 * What the ingest and the pipeline read of the configuration: internal, never exposed over REST or
 * MCP, because it returns decrypted credentials and stored key hashes.
 */
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

function chainOf(config: Record<string, unknown>): { functionId: string }[] {
  const data = (config.data ?? {}) as { functions?: { functionId: string }[] };
  return data.functions ?? [];
}
