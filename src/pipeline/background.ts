/**
 * The pipeline's background work in a server: the queue consumer, Live Events retention and the
 * expiry of `ctx.store` entries. startServer() starts it after listening and stops it on shutdown,
 * before the store closes.
 */
import type { Deps } from "../deps.ts";
import { startRetention } from "../events_log/retention.ts";
import { deleteExpiredStoreEntries } from "../store/function_store_repo.ts";
import { startSyncScheduler } from "../sync/scheduler.ts";
import { Pipeline } from "./pipeline.ts";

const STORE_EXPIRY_EVERY_MS = 10 * 60_000;

/** What {@linkcode startBackground} returns. */
export interface Background {
  pipeline: Pipeline | null;
  stop(): Promise<void>;
}

/** Starts the consumer (unless PIPELINE_WORKERS=0), retention and store expiry. */
export async function startBackground(deps: Deps): Promise<Background> {
  const pipeline = deps.config.pipelineWorkers > 0 ? new Pipeline(deps) : null;
  await pipeline?.start();
  const stopRetention = startRetention(deps, {
    maxPerActorType: deps.config.eventsLogMaxPerSource,
    maxAgeMs: deps.config.eventsLogMaxAgeDays * 24 * 3600 * 1000,
  });
  const expiry = setInterval(async function expireStore() {
    try {
      await deleteExpiredStoreEntries(deps.db, deps.clock.now());
    } catch (e) {
      deps.log.warn("cannot expire function store entries", { error: e });
    }
  }, STORE_EXPIRY_EVERY_MS);
  Deno.unrefTimer(expiry);
  const syncScheduler = startSyncScheduler(deps);
  return {
    pipeline,
    async stop() {
      clearInterval(expiry);
      stopRetention();
      await syncScheduler.stop();
      await pipeline?.stop();
    },
  };
}
