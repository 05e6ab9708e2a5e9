/**
 * Batch mode (docs/warehouses.md): a connection with `mode: "batch"` gets its events in batches of
 * `batchSize`, or whatever waited `frequency` minutes, each batch written by one driver call (one transaction
 * in a warehouse). The queue is the durable buffer: processBatch() turns a stream row into one waiting
 * `batch` row per batch-mode connection (in the transaction that acknowledges the stream row), and
 * {@linkcode flushDueBatches} claims a connection's waiting rows once its batch is due, hands them to
 * processBatch() and deletes them only when that committed. A crash at any point leaves them queued.
 */
import type { Deps } from "../deps.ts";
import { cachedLiveConnections, type LiveConnection } from "../services/pipeline_config.ts";
import {
  type BatchGroup,
  claimBatchRows,
  pendingBatchGroup,
  pendingBatchGroups,
  releaseQueueRows,
} from "../store/queue_repo.ts";
import { type QueueRow } from "../store/queue_rows.ts";
import type { DriverTable } from "./drivers.ts";

/** A batch-mode connection's settings, as Jitsu's BaseBulkerConnectionOptions define them. */
export interface BatchSettings {
  batchSize: number;
  frequencyMs: number;
}

// Jitsu's warehouse defaults (resources/destinations/options.ts), for options stored without them.
const DEFAULT_BATCH_SIZE = 10_000;
const DEFAULT_FREQUENCY_MIN = 5;
/** Rows one flush holds in memory at most: a larger batchSize is flushed in several transactions. */
export const MAX_BATCH_ROWS = 100_000;

function positive(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * The batch settings of a connection the pipeline batches, or null: the connection is in stream mode
 * or its destination's driver takes no batches (it then gets each claimed queue batch at once).
 */
export function batchSettingsOf(conn: LiveConnection, drivers: DriverTable): BatchSettings | null {
  if (conn.options.mode !== "batch") return null;
  const driver = drivers.get(conn.destination.destinationType);
  if (!driver?.modes.includes("batch")) return null;
  return {
    batchSize: Math.min(Math.floor(positive(conn.options.batchSize, DEFAULT_BATCH_SIZE)), MAX_BATCH_ROWS),
    frequencyMs: positive(conn.options.frequency, DEFAULT_FREQUENCY_MIN) * 60_000,
  };
}

/**
 * Whether waiting rows make a batch: `batchSize` of them, the oldest waited `frequency`, or they are a
 * failed batch's retry (it already waited; its backoff decided when it is ready).
 */
export function batchIsDue(
  w: { count: number; oldest: Date; maxAttempts: number },
  s: BatchSettings,
  now: Date,
): boolean {
  return w.count >= s.batchSize || now.getTime() - w.oldest.getTime() >= s.frequencyMs ||
    w.maxAttempts > 0;
}

function summary(rows: QueueRow[]): { count: number; oldest: Date; maxAttempts: number } {
  let oldest = rows[0].availableAt;
  let maxAttempts = 0;
  for (const r of rows) {
    if (r.availableAt < oldest) oldest = r.availableAt;
    if (r.attempts > maxAttempts) maxAttempts = r.attempts;
  }
  return { count: rows.length, oldest, maxAttempts };
}

export interface FlushOptions {
  drivers: DriverTable;
  leaseMs: number;
  /** The claimer's lease token (store/queue_repo.ts newLeaseToken). */
  lease?: string;
  /** Rows claimed at once for a connection that is no longer in batch mode (or gone). */
  fallbackLimit: number;
  /** Shutdown: claim nothing more (what is not claimed simply waits in the queue). */
  signal: AbortSignal;
  /** Processes claimed rows and commits their outcome (Pipeline: processBatch with lease renewal). */
  process(rows: QueueRow[]): Promise<void>;
  /**
   * Told, per batch-mode connection the pass found rows of, how many of them it left waiting (seen and not
   * flushed: a batch not due yet; rows that came after its look are not counted), and its batchSize.
   */
  onLeft?(g: BatchGroup, rows: number, batchSize: number): void;
}

/**
 * Flushes every due batch: per connection with waiting rows, claims up to `batchSize` of them and
 * processes them as one batch, again while a full batch waits. Returns how many rows it processed.
 * The decision is checked again on the rows actually claimed: another instance may have taken part
 * of them, and a partial batch that is not due by itself is released instead of written early.
 */
export async function flushDueBatches(deps: Deps, opts: FlushOptions): Promise<number> {
  const groups = await pendingBatchGroups(deps.db, deps.clock.now());
  const streams = new Map<string, Promise<LiveConnection[]>>();
  let processed = 0;
  let next = 0;
  // Connections flush side by side (a slow warehouse holds up only its own batches).
  async function lane() {
    while (next < groups.length && !opts.signal.aborted) {
      const g = groups[next++];
      const key = `${g.workspaceId}/${g.streamId}`;
      if (!streams.has(key)) streams.set(key, cachedLiveConnections(deps, g.workspaceId, g.streamId));
      const conn = (await streams.get(key)!).find((c) => c.id === g.connectionId);
      // Gone, disabled or switched to stream mode: its waiting rows go now (processBatch drops the
      // rows of a connection that is gone or disabled, as it does for retries).
      const settings = conn ? batchSettingsOf(conn, opts.drivers) : null;
      const n = await flushGroup(deps, g, settings, opts);
      processed += n;
      if (settings) opts.onLeft?.(g, Math.max(0, g.count - n), settings.batchSize);
    }
  }
  await Promise.all(Array.from({ length: Math.min(FLUSH_CONCURRENCY, groups.length) }, lane));
  return processed;
}

/** Connections whose due batches are flushed at once by one pass. */
const FLUSH_CONCURRENCY = 4;

const MAX_CONTENDED_RETRIES = 5;

/** Batches of one connection loading at once (claimed one after the other, each its own transaction). */
const BATCHES_PER_CONNECTION = 2;

async function stillDue(deps: Deps, g: BatchGroup, settings: BatchSettings): Promise<boolean> {
  const now = deps.clock.now();
  const fresh = await pendingBatchGroup(deps.db, now, g.workspaceId, g.connectionId);
  return fresh !== null && batchIsDue(fresh, settings, now);
}

async function flushGroup(
  deps: Deps,
  g: BatchGroup,
  settings: BatchSettings | null,
  opts: FlushOptions,
): Promise<number> {
  if (settings && !batchIsDue(g, settings, deps.clock.now())) return 0;
  const limit = settings?.batchSize ?? opts.fallbackLimit;
  // Batches claimed without looking again: the full ones the look counted (all there are when the oldest row
  // waited `frequency` or they are a failed batch's retry: a rest is due then too). Beyond them a claim
  // waits for a fresh look to find another batch due: claiming a partial one reads its events' text only to
  // give it back, and a pass started as soon as chunks filled a batch (pipeline.ts) would do that each time.
  let vouched = settings && !batchIsDue({ ...g, count: 0 }, settings, deps.clock.now())
    ? Math.floor(g.count / limit)
    : Infinity;
  let processed = 0;
  let contended = 0;
  // The next batch is claimed while one loads: claiming 1000 rows took 70-340 ms and loading them 340-1,230 ms
  // (bench/pipeline.ts, loaded machine), so one at a time left the warehouse idle a fifth of the time and
  // used one of its connections. SKIP LOCKED and the lease keep the two batches disjoint.
  const loading = new Set<Promise<void>>();
  let failed: { e: unknown } | null = null;
  while (!opts.signal.aborted && !failed) {
    if (vouched <= 0) {
      if (!(await stillDue(deps, g, settings!))) break;
      vouched = 1;
    }
    const now = deps.clock.now();
    const rows = await claimBatchRows(deps.db, {
      workspaceId: g.workspaceId,
      connectionId: g.connectionId,
      now,
      leaseUntil: new Date(now.getTime() + opts.leaseMs),
      limit,
      lease: opts.lease,
    });
    if (rows.length === 0) break;
    if (settings && !batchIsDue(summary(rows), settings, now)) {
      await releaseQueueRows(deps.db, rows.map((r) => r.id), opts.lease ?? null);
      // A rest after full batches waits for its own batch.
      if (loading.size > 0) break;
      // Several claimers at once (instances, or drains of one instance) can each get part of one due
      // batch and all release it. If the released rows still make a due batch, claim again after a
      // short random pause instead of leaving it until the next flush round.
      if (++contended > MAX_CONTENDED_RETRIES || !(await stillDue(deps, g, settings))) break;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      continue;
    }
    const load: Promise<void> = opts.process(rows).then(
      () => {
        processed += rows.length;
      },
      (e) => {
        failed ??= { e };
      },
    ).finally(() => loading.delete(load));
    loading.add(load);
    vouched--;
    if (rows.length < limit) break;
    if (loading.size >= BATCHES_PER_CONNECTION) await Promise.race(loading);
  }
  await Promise.all(loading);
  if (failed) throw (failed as { e: unknown }).e;
  return processed;
}
