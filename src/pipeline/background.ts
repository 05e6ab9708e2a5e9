/**
 * The pipeline's background work in a server: the queue consumer, Live Events retention and the
 * expiry of `ctx.store` entries. startServer() starts it shortly after listening (at once on Deno Deploy)
 * and stops it on shutdown, before the store closes.
 * On Deno Deploy (RUNTIME=deploy) the same work is also done in bounded passes started by `Deno.cron` and
 * by requests (src/runtime/background_pass.ts), because an isolate that Deploy has stopped runs no timer.
 */
import type { Deps } from "../deps.ts";
import { startRetention } from "../events_log/retention.ts";
import { type BackgroundPasses, startBackgroundPasses } from "../runtime/background_pass.ts";
import type { CronScheduler } from "../runtime/profile.ts";
import { deleteExpiredStoreEntries } from "../store/function_store_repo.ts";
import { startSyncScheduler } from "../sync/scheduler.ts";
import { Pipeline } from "./pipeline.ts";

const STORE_EXPIRY_EVERY_MS = 10 * 60_000;

/** What {@linkcode startBackground} returns. */
export interface Background {
  pipeline: Pipeline | null;
  /** Passes driven by cron and requests: on Deploy only, else null. */
  passes: BackgroundPasses | null;
  /** Called by the server on every request (starts a due pass on Deploy; nothing on a machine). */
  onRequest(): void;
  stop(): Promise<void>;
}

export interface BackgroundOptions {
  /**
   * Where the Deploy pass attaches to cron: main.ts's top-level job (Deploy ignores jobs registered
   * later, src/runtime/top_level_cron.ts). None: requests alone start passes.
   */
  cron?: CronScheduler | null;
  /** On Deploy: a request starts a pass when the last one is this old, ms (default 10 s). */
  kickAfterMs?: number;
}

/** Starts the consumer (unless PIPELINE_WORKERS=0), retention and store expiry. */
export async function startBackground(deps: Deps, options: BackgroundOptions = {}): Promise<Background> {
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
  // Connectors cannot run on Deploy (src/runtime/profile.ts): a Deploy instance that claimed a scheduled
  // fire would only fail it, and take it from a machine instance on the same database that can run it.
  const syncScheduler = deps.config.runtime === "deploy" ? null : startSyncScheduler(deps);
  let passes: BackgroundPasses | null = null;
  if (deps.config.runtime === "deploy") {
    const cron = options.cron ?? null;
    passes = startBackgroundPasses(deps, pipeline, { cron, kickAfterMs: options.kickAfterMs });
    deps.log.info("Deno Deploy profile: background work also runs in passes", {
      triggers: cron ? "Deno.cron and requests" : "requests (no Deno.cron here)",
      functions: deps.sandbox.options.backend,
      syncs:
        "not run here: connectors need subprocesses (a Sluice on a machine on the same database runs them)",
    });
  }
  return {
    pipeline,
    passes,
    onRequest: passes ? passes.onRequest : function noPasses() {},
    async stop() {
      clearInterval(expiry);
      stopRetention();
      await passes?.stop();
      await syncScheduler?.stop();
      await pipeline?.stop();
    },
  };
}
