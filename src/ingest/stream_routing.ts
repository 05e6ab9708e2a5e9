/**
 * Finding the stream of an event that carries no write key, as Jitsu's stream locators do for non-strict
 * streams: the host the request was sent to is `<streamId>.<PUBLIC_URL host>` (a data host), or is listed in
 * a stream's `domains` (a custom ingest domain pointed at Sluice), or the instance has a single stream. A
 * strict stream is never found this way. Answers are cached for a second, like a stream's connections.
 */
import type { Deps } from "../deps.ts";
import {
  findStreamRouting,
  firstTwoStreams,
  type StreamFacts,
  streamFacts,
  streamsForHost,
} from "../store/stream_routing_repo.ts";

const CACHE_MS = 1000;

type RoutingDeps = Pick<Deps, "db" | "ingest" | "config">;

async function cached(
  deps: RoutingDeps,
  key: string,
  load: () => Promise<StreamFacts | null>,
): Promise<StreamFacts | null> {
  const cache = deps.ingest.streams;
  const hit = cache.get(key, Date.now());
  if (hit) return hit.value;
  const value = await load();
  cache.set(key, value, Date.now() + CACHE_MS);
  return value;
}

/**
 * A live stream's routing facts by id (null: deleted): the stream of `workspaceId`, or with null (a data
 * host) the oldest live stream with that id (ids are unique per workspace only). A cached answer comes back
 * without a promise: this is on every keyed event's path, and awaiting cost more than the lookup (about
 * 2 µs an event).
 */
export function streamFactsById(
  deps: RoutingDeps,
  stream: { id: string; workspaceId: string | null },
): StreamFacts | null | Promise<StreamFacts | null> {
  const key = `id:${stream.workspaceId ?? "*"}/${stream.id}`;
  const hit = deps.ingest.streams.get(key, Date.now());
  if (hit) return hit.value;
  return cached(deps, key, async () => {
    const row = await findStreamRouting(deps.db, stream);
    return row && streamFacts(row);
  });
}

/** `Host` without its port, lowercased. */
export function requestHost(host: string | null | undefined): string {
  const h = (host ?? "").trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.split(":")[0];
}

/** Which locators a keyless request may use: Jitsu's browser list, its s2s list, or its pixel list. */
export type KeylessMode = "browser" | "s2s" | "pixel";

/**
 * The non-strict stream a keyless request to `host` goes to, or null. Browser and pixel requests: data host,
 * then domains, then the sole stream; server requests: data host, then domains (never the sole stream).
 */
export async function keylessStream(
  deps: RoutingDeps,
  host: string,
  mode: KeylessMode,
): Promise<StreamFacts | null> {
  const dataHost = new URL(deps.config.publicUrl).hostname.toLowerCase();
  if (host && host.endsWith(`.${dataHost}`)) {
    const slug = host.slice(0, -dataHost.length - 1);
    const bySlug = await streamFactsById(deps, { id: slug, workspaceId: null });
    if (bySlug && !bySlug.strict) return bySlug;
  }
  if (host) {
    const byDomain = await cached(deps, `host:${host}`, async () => {
      const rows = (await streamsForHost(deps.db, host)).map(streamFacts);
      return rows.find((s) => !s.strict) ?? null;
    });
    if (byDomain) return byDomain;
  }
  if (mode === "s2s") return null;
  return await cached(deps, "sole", async () => {
    const rows = await firstTwoStreams(deps.db);
    if (rows.length !== 1) return null;
    const only = streamFacts(rows[0]);
    return only.strict ? null : only;
  });
}
