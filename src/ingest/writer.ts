/**
 * The ingest writer: durable enqueue with group commit. An accepted event is in `event_queue` and its
 * `incoming` Live Events entry is in `events_log`, written by one statement (so one transaction), before
 * ingest answers 200. Concurrent requests share statements: while a commit is in flight, new events wait
 * in memory and go together in the next one, which is what makes single-event ingest about as fast as
 * batched inserts (GOTCHAS: grouped single inserts reached about 24k events/s against 3.3k/s one by one).
 * Built once per app by compose.ts (newIngestState) and handed over in Deps.
 */
import { TtlCache } from "../cache.ts";
import { QUEUE_CHANNEL, queueNotice } from "../pipeline/queue_payload.ts";
import type { Db } from "../store/db.ts";
import { type IngestedInsert, insertIngested } from "../store/ingest_repo.ts";
import type { StreamFacts } from "../store/stream_routing_repo.ts";

/** One accepted (or refused) event: its `incoming` entry, and whether its queue row goes with it. */
export type IngestItem = IngestedInsert;

interface Waiter {
  items: IngestItem[];
  resolve(): void;
  reject(e: unknown): void;
}

// Events per statement: big enough to amortise the commit, small enough to keep a commit short.
const MAX_GROUP_ITEMS = 2000;
/** Streams a NOTIFY names at most; beyond, it says "any stream". */
const MAX_NOTICE_STREAMS = 100;

/**
 * Fewest waiting events worth a commit of their own while another is in flight; fewer wait and join the next
 * one. Starting a commit for every free slot made groups of ~6 single events under load, and each statement
 * costs the server (~80 µs in postgres.js) and the database (a WAL flush) whatever its size. At 16, groups
 * were ~15 events and the single-event benchmark (bench/ingest.ts) went from 73-86% to 94-129% of the raw
 * single-row rate (ten runs), with a lower p99 at half peak (a small group waits at most one commit).
 */
export const MIN_CONCURRENT_GROUP = 16;

/** Writes ingest items with group commit. One per app (see {@linkcode newIngestState}). */
export class IngestWriter {
  readonly #db: Db;
  readonly #maxConcurrent: number;
  readonly #minGroup: number;
  #pending: Waiter[] = [];
  #pendingItems = 0;
  #inFlight = 0;
  #committed = 0;
  #active = 0;
  #lastNotify = 0;
  /** Streams that got queue rows since the last NOTIFY. */
  #notice = new Set<string>();
  readonly #gather: boolean;
  #gathering: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #drained: PromiseWithResolvers<void> | null = null;

  /**
   * `maxConcurrent` commits at most in flight; a second or later one starts only for `minGroup` waiting
   * events (default {@linkcode MIN_CONCURRENT_GROUP}); with none in flight, any event starts one at once,
   * or with `gather`, once the requests already received have had their turn (see newIngestState).
   */
  constructor(db: Db, { maxConcurrent, minGroup = MIN_CONCURRENT_GROUP, gather = false }: {
    maxConcurrent: number;
    minGroup?: number;
    gather?: boolean;
  }) {
    this.#db = db;
    this.#maxConcurrent = maxConcurrent;
    this.#minGroup = minGroup;
    this.#gather = gather;
  }

  /** Items waiting for a commit (back-pressure counts them too). */
  get pending(): number {
    return this.#pendingItems;
  }

  /** Items handed to a statement whose commit has not ended yet (back-pressure counts them too). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Items committed since the writer was made: back-pressure adds those committed since its last count
   * of the queue started, which that count may not have seen.
   */
  get committed(): number {
    return this.#committed;
  }

  /** Resolves once `items` are committed; rejects if their transaction failed (nothing was stored). */
  write(items: IngestItem[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Cannot store events: the ingest writer is closed"));
    if (items.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#pending.push({ items, resolve, reject });
      this.#pendingItems += items.length;
      this.#kick();
    });
  }

  #kick() {
    if (this.#gather && this.#active === 0 && this.#pending.length > 0) {
      // A macrotask later: the HTTP requests that arrived meanwhile run their handlers first and join.
      this.#gathering ??= setTimeout(() => {
        this.#gathering = null;
        this.#start();
      }, 0);
      return;
    }
    this.#start();
  }

  #start() {
    while (
      this.#active < this.#maxConcurrent && this.#pending.length > 0 &&
      (this.#active === 0 || this.#pendingItems >= this.#minGroup)
    ) {
      const group: Waiter[] = [];
      let n = 0;
      while (this.#pending.length > 0 && (n === 0 || n + this.#pending[0].items.length <= MAX_GROUP_ITEMS)) {
        const w = this.#pending.shift()!;
        n += w.items.length;
        group.push(w);
      }
      this.#pendingItems -= n;
      this.#inFlight += n;
      this.#active++;
      this.#flush(group).finally(() => {
        this.#inFlight -= n;
        this.#active--;
        this.#kick();
        if (this.#active === 0 && this.#pending.length === 0) this.#drained?.resolve();
      });
    }
  }

  /**
   * Refuses new writes and resolves once every accepted one is committed (or failed): what shutdown
   * waits for before the store closes.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#active === 0 && this.#pending.length === 0) return;
    this.#drained ??= Promise.withResolvers<void>();
    await this.#drained.promise;
  }

  async #flush(group: Waiter[]) {
    const items = group.flatMap((w) => w.items);
    try {
      await insertIngested(this.#db, items);
    } catch (e) {
      if (group.length === 1) {
        group[0].reject(e);
        return;
      }
      // One request's bad row must not fail the others grouped with it (other tenants among them):
      // write each request on its own; only the bad one fails.
      await Promise.all(group.map((w) => this.#flush([w])));
      return;
    }
    this.#committed += items.length;
    for (const w of group) w.resolve();
    // Wake idle workers at once (they also poll); at most every 20 ms under load.
    const now = Date.now();
    // The notice names the streams that got rows since the last one, so an instance whose lanes for them
    // are full does not claim in vain (src/pipeline/pipeline.ts); too many to name is "any stream".
    for (const it of items) {
      if (it.queued && this.#notice.size <= MAX_NOTICE_STREAMS) {
        this.#notice.add(`${it.workspaceId}/${it.streamId}`);
      }
    }
    if (this.#notice.size > 0 && now - this.#lastNotify > 20) {
      this.#lastNotify = now;
      const streams = this.#notice.size > MAX_NOTICE_STREAMS ? [] : this.#notice;
      this.#db.notify(QUEUE_CHANNEL, queueNotice(streams)).catch(() => {});
      this.#notice = new Set();
    }
  }
}

export interface DepthCache {
  depth: number;
  at: number;
  /** How long the last count took: a long queue is counted less often (PGlite counts in our thread). */
  tookMs: number;
  refreshing: Promise<void> | null;
  /** The writer's `committed` when the count in `depth` started. */
  committedAtCount: number;
}

/**
 * One app's ingest state: its writer and the caches in front of the queue depth, stream connections and
 * stream routing (a stream's origin rules by id, the stream of a host, the sole stream: see
 * ingest/stream_routing.ts).
 */
export interface IngestState {
  writer: IngestWriter;
  depth: DepthCache;
  connections: TtlCache<StreamConnections>;
  streams: TtlCache<StreamFacts | null>;
}

/** The ingest state of one app over `db` (built once, in compose.ts). */
export function newIngestState(db: Db): IngestState {
  // PGlite is one connection in this thread: concurrent statements would only queue behind each other,
  // and a statement blocks the thread, so no request is read while it runs. Starting the commit at once
  // made a group of every single event (~0.6 ms of PGlite a statement); gathering the requests already
  // received first made groups of many.
  const pglite = db.driver !== "postgres";
  return {
    writer: new IngestWriter(db, { maxConcurrent: pglite ? 1 : 4, gather: pglite }),
    depth: { depth: 0, at: 0, tookMs: 0, refreshing: null, committedAtCount: 0 },
    connections: new TtlCache<StreamConnections>(10_000),
    streams: new TtlCache<StreamFacts | null>(10_000),
  };
}

/** A stream's live connections: their ids, and the same as JSON text for the `incoming` entries. */
export interface StreamConnections {
  ids: string[];
  json: string;
}
