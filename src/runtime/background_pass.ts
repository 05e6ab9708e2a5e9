/**
 * Background work in bounded passes, for a runtime that may stop the process between requests (Deno
 * Deploy scales to zero and runs several isolates at once). A timer alone would not do: an isolate that
 * is not running runs no timer, so rows waiting for a retry, a due batch-mode batch or an old Live Events
 * entry would wait for the next deployment. So a pass is started by `Deno.cron` (every minute, where the
 * runtime has it) and by requests (when the last pass in this isolate is older than `kickAfterMs`), and
 * does a bounded amount of work: claims until nothing is ready or the time budget is spent, then due
 * batches, retention and `ctx.store` expiry when due. (Scheduled syncs are not run on Deploy: their
 * connectors need subprocesses, src/runtime/profile.ts.) Several isolates' passes are safe together: rows
 * are claimed with SKIP LOCKED under a lease and retention takes an advisory lock.
 */
import type { Deps } from "../deps.ts";
import { applyRetention } from "../events_log/retention.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { deleteExpiredStoreEntries } from "../store/function_store_repo.ts";
import { CRON_NAME, type CronScheduler } from "./profile.ts";

/** What one pass did. */
export interface PassResult {
  /** Queue rows claimed and flushed batch rows processed. */
  rows: number;
  retention: boolean;
  storeExpiry: boolean;
}

export interface BackgroundPassOptions {
  /** A request starts a pass when the last one started this long ago, ms. */
  kickAfterMs?: number;
  /** A pass stops claiming after this long (what is claimed is still finished), ms. */
  budgetMs?: number;
  retentionEveryMs?: number;
  storeExpiryEveryMs?: number;
  /** `Deno.cron`, or null where the runtime has none (then requests alone start passes). */
  cron?: CronScheduler | null;
}

/** The triggers of {@linkcode runPass}: requests and cron. */
export interface BackgroundPasses {
  /** Called on every request; starts a pass in the background when one is due. Never throws. */
  onRequest(): void;
  /** Runs one pass now (or joins the one running). */
  pass(): Promise<PassResult>;
  /** No new passes; waits for the running one. */
  stop(): Promise<void>;
}

/** Starts the triggers: registers the cron job (when given one) and answers requests. */
export function startBackgroundPasses(
  deps: Deps,
  pipeline: Pipeline | null,
  {
    kickAfterMs = 10_000,
    budgetMs = 20_000,
    retentionEveryMs = 5 * 60_000,
    storeExpiryEveryMs = 10 * 60_000,
    cron = null,
  }: BackgroundPassOptions = {},
): BackgroundPasses {
  let running: Promise<PassResult> | null = null;
  let stopped = false;
  let lastPass = -Infinity;
  let lastRetention = -Infinity;
  let lastExpiry = -Infinity;
  const now = () => deps.clock.now().getTime();

  async function runPass(): Promise<PassResult> {
    const started = now();
    lastPass = started;
    const result: PassResult = { rows: 0, retention: false, storeExpiry: false };
    if (pipeline) {
      try {
        while (!stopped && now() - started < budgetMs) {
          const n = await pipeline.runOnce();
          result.rows += n;
          if (n === 0) break;
        }
        if (!stopped) result.rows += await pipeline.flushBatches();
      } catch (e) {
        deps.log.error("background pass: the pipeline failed", { error: e });
      }
    }
    if (!stopped && started - lastRetention >= retentionEveryMs) {
      lastRetention = started;
      try {
        const r = await applyRetention(deps.db, {
          now: deps.clock.now(),
          maxPerActorType: deps.config.eventsLogMaxPerSource,
          maxAgeMs: deps.config.eventsLogMaxAgeDays * 24 * 3600 * 1000,
        });
        result.retention = !r.skipped;
      } catch (e) {
        deps.log.error("background pass: events log retention failed", { error: e });
      }
    }
    if (!stopped && started - lastExpiry >= storeExpiryEveryMs) {
      lastExpiry = started;
      try {
        await deleteExpiredStoreEntries(deps.db, deps.clock.now());
        result.storeExpiry = true;
      } catch (e) {
        deps.log.warn("background pass: cannot expire function store entries", { error: e });
      }
    }
    return result;
  }

  function pass(): Promise<PassResult> {
    if (stopped) return Promise.resolve({ rows: 0, retention: false, storeExpiry: false });
    running ??= runPass().finally(() => running = null);
    return running;
  }

  if (cron) {
    try {
      cron(CRON_NAME, "* * * * *", async function backgroundCron() {
        await pass();
      });
    } catch (e) {
      // A second registration in one isolate (two apps in one process) keeps the first: requests still kick.
      deps.log.warn("Deno.cron did not take the background job: requests alone start passes", { error: e });
    }
  }

  return {
    onRequest() {
      if (stopped || running || now() - lastPass < kickAfterMs) return;
      pass().catch((e) => deps.log.error("background pass failed", { error: e }));
    },
    pass,
    async stop() {
      stopped = true;
      await running?.catch(() => {});
    },
  };
}
