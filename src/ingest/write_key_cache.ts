/** The per-app cache of verified write keys (built in compose.ts, handed over in Deps). */
import { TtlCache } from "../cache.ts";

/** A verified key: the stream it writes to and its kind. */
export interface ResolvedKey {
  workspaceId: string;
  streamId: string;
  keyId: string;
  kind: "browser" | "server";
}

const MAX_CACHE = 10_000;

/** Verified (and refused) keys of one app, by the key as sent. */
export type WriteKeyCache = TtlCache<ResolvedKey | null>;

/** An empty write-key cache (one per app, built in compose.ts). */
export function newWriteKeyCache(): WriteKeyCache {
  return new TtlCache<ResolvedKey | null>(MAX_CACHE);
}
