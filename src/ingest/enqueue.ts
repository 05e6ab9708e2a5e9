/**
 * What ingest asks of the queue around the writer (src/ingest/writer.ts): whether it is full, which
 * connections a stream feeds, and waking the consumers.
 */
import type { Deps } from "../deps.ts";
import { QUEUE_CHANNEL } from "../pipeline/queue_payload.ts";
import { queueDepth } from "../store/queue_repo.ts";
import { connectionsFrom } from "../store/resources_repo.ts";
import type { StreamConnections } from "./writer.ts";

const DEPTH_REFRESH_MS = 1000;

/**
 * Whether `incoming` more events would take the queue past QUEUE_MAX_DEPTH. The queue holds the rows
 * counted last (refreshed in the background at most once a second, so checking costs a request nothing:
 * the id span while under half the limit, a count up to the limit beyond, see queueDepth), plus what this
 * instance's writer committed since that count started, is committing, or holds for a commit. A
 * batch counts all its events, so one large batch cannot go past the limit whole; only an empty queue
 * takes a batch larger than the room left (a batch bigger than the limit would otherwise never fit).
 * Other instances' ingest shows at the next count.
 */
export async function queueIsFull(
  deps: Pick<Deps, "db" | "config" | "ingest">,
  incoming = 1,
): Promise<boolean> {
  const max = deps.config.queueMaxDepth;
  const cache = deps.ingest.depth;
  const writer = deps.ingest.writer;
  if (Date.now() - cache.at > Math.max(DEPTH_REFRESH_MS, cache.tookMs * 20)) {
    // One count at a time, at most one a second (less often when counting is slow: at most 5% of the
    // time), whatever the request rate. Requests do not wait for it: the figure is a little old.
    const started = performance.now();
    const committed = writer.committed;
    // In a transaction only to run on the transaction pool: counting a long queue takes a while (321 ms
    // for 100k rows here), and on the 2-connection statement pool the grouped inserts pipelined behind
    // it waited that long too (bench/ingest.ts: p99 at half peak 40-60 ms instead of 13 ms).
    cache.refreshing ??= deps.db.transaction((tx) => queueDepth(tx, max + 1)).then((n) => {
      cache.depth = n;
      cache.committedAtCount = committed;
      cache.at = Date.now();
      cache.tookMs = performance.now() - started;
    }).catch(() => {
      // The database is away: try again after the usual interval, not on every request meanwhile.
      cache.at = Date.now();
    }).finally(() => cache.refreshing = null);
    if (cache.at === 0) await cache.refreshing; // the very first request: no figure yet
  }
  // Committed since the count started (some may be counted twice: the estimate errs toward refusing),
  // being committed now, and waiting for a commit.
  const queued = cache.depth + (writer.committed - cache.committedAtCount) + writer.inFlight + writer.pending;
  return queued > 0 && queued + incoming > max;
}

const CONNECTIONS_CACHE_MS = 1000;

/**
 * Ids of the live, enabled push connections of a stream (the `incoming` entry's `asyncDestinations`),
 * cached for a second: a new connection gets events within a second of being created.
 */
export async function streamConnections(
  deps: Pick<Deps, "db" | "ingest">,
  workspaceId: string,
  streamId: string,
): Promise<StreamConnections> {
  const m = deps.ingest.connections;
  // Stream ids are unique per workspace only.
  const key = `${workspaceId}/${streamId}`;
  const hit = m.get(key, Date.now());
  if (hit) return hit.value;
  const rows = await connectionsFrom(deps.db, workspaceId, streamId);
  const ids = rows
    .filter((r) =>
      r.subtype === "push" && (r.config.data as { disabled?: unknown } | undefined)?.disabled !== true
    )
    .map((r) => r.id);
  const value = { ids, json: JSON.stringify(ids) };
  m.set(key, value, Date.now() + CONNECTIONS_CACHE_MS);
  return value;
}

/** Forgets cached connection lists (tests; a change that must apply at once). */
export function forgetStreamConnections(deps: Pick<Deps, "ingest">): void {
  deps.ingest.connections.clear();
}

/** Wakes pipeline workers of every instance (after rows were added outside ingest, e.g. a replay). */
export async function notifyQueue(deps: Pick<Deps, "db">): Promise<void> {
  await deps.db.notify(QUEUE_CHANNEL, "").catch(() => {});
}
