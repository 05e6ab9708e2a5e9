import type { Deps } from "../deps.ts";
import type { Db } from "../store/db.ts";
import {
  deleteEventLogOlderThan,
  deleteEventLogOverflow,
  tryRetentionLock,
} from "../store/events_log_repo.ts";
import { deleteOldEventStats } from "../store/event_stat_repo.ts";

export const DEFAULT_MAX_PER_ACTOR_TYPE = 10_000;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

// Key of the advisory lock that lets one instance at a time run retention against a shared PostgreSQL.
const RETENTION_LOCK_KEY = 727_003_01;

export interface RetentionOptions {
  now: Date;
  /** Entries kept per (workspace, source, type), errors counted separately. Default 10,000. */
  maxPerActorType?: number;
  /** Entries older than this are deleted. Default 7 days. */
  maxAgeMs?: number;
}

/**
 * Trims the log: drops entries older than `maxAgeMs`, then keeps the newest `maxPerActorType` errors and
 * the newest `maxPerActorType` other entries of every source and type. Returns how many were deleted;
 * `skipped` when another instance holds the retention lock.
 */
export async function applyRetention(
  db: Db,
  { now, maxPerActorType = DEFAULT_MAX_PER_ACTOR_TYPE, maxAgeMs = DEFAULT_MAX_AGE_MS }: RetentionOptions,
): Promise<{ expired: number; overflow: number; skipped: boolean }> {
  return await db.transaction(async function trim(tx) {
    if (!(await tryRetentionLock(tx, RETENTION_LOCK_KEY))) return { expired: 0, overflow: 0, skipped: true };
    const expired = await deleteEventLogOlderThan(tx, new Date(now.getTime() - maxAgeMs));
    const overflow = await deleteEventLogOverflow(tx, maxPerActorType);
    return { expired, overflow, skipped: false };
  });
}

/** Statistics keep their minute rows this long (their hour rows are written alongside). */
export const STAT_MINUTES_MS = 7 * 24 * 3600 * 1000;
/** Statistics older than this are deleted. */
export const STAT_KEEP_MS = 90 * 24 * 3600 * 1000;

/**
 * Trims the statistics rollup: minute rows older than 7 days go (their hours stay), every row older than
 * 90 days goes. Same lock as {@linkcode applyRetention}.
 */
export async function applyStatRetention(
  db: Db,
  { now }: { now: Date },
): Promise<{ minutes: number; hours: number; skipped: boolean }> {
  return await db.transaction(async function trimStats(tx) {
    if (!(await tryRetentionLock(tx, RETENTION_LOCK_KEY))) return { minutes: 0, hours: 0, skipped: true };
    const r = await deleteOldEventStats(tx, {
      minutesBefore: new Date(now.getTime() - STAT_MINUTES_MS),
      before: new Date(now.getTime() - STAT_KEEP_MS),
    });
    return { ...r, skipped: false };
  });
}

/**
 * Runs {@linkcode applyRetention} and {@linkcode applyStatRetention} every `everyMs` until the returned function is called. For main.ts /
 * the server to start; failures are logged and retried at the next tick.
 */
export function startRetention(
  deps: Pick<Deps, "db" | "clock" | "log">,
  { everyMs = 5 * 60_000, ...options }: Omit<RetentionOptions, "now"> & { everyMs?: number } = {},
): () => void {
  let running = false;
  const timer = setInterval(async function retentionTick() {
    if (running) return;
    running = true;
    try {
      const r = await applyRetention(deps.db, { ...options, now: deps.clock.now() });
      if (r.expired + r.overflow > 0) deps.log.info("events log trimmed", r);
      const st = await applyStatRetention(deps.db, { now: deps.clock.now() });
      if (st.minutes + st.hours > 0) deps.log.info("event statistics trimmed", st);
    } catch (e) {
      deps.log.error("events log retention failed", { error: e });
    } finally {
      running = false;
    }
  }, everyMs);
  Deno.unrefTimer(timer);
  return function stopRetention() {
    clearInterval(timer);
  };
}
