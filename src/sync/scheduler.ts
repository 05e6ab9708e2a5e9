/**
 * The sync scheduler: every instance runs one. Each tick looks at every sync connection with a
 * `data.schedule` and, for the current and the previous minute (so a late tick still fires), checks
 * the cron expression in the connection's time zone. A due minute is claimed in the database
 * (sync_schedule_fires, one insert wins), so a scheduled run starts once however many instances tick;
 * the run lease then keeps it from overlapping a run already in flight.
 */
import type { Deps } from "../deps.ts";
import { claimScheduleFire, deleteOldSyncRows, scheduledSyncConnections } from "../store/sync_repo.ts";
import { cronMatches, parseCron } from "./cron.ts";
import { DEFAULT_TIMINGS, type RunTimings } from "./run.ts";
import { startSyncRun } from "./syncs.ts";

const MINUTE = 60_000;

export interface SyncScheduler {
  /** Checks every schedule once at the clock's now; resolves with the tasks it started. */
  tick(): Promise<{ workspaceId: string; connectionId: string; taskId: string; done: Promise<unknown> }[]>;
  stop(): Promise<void>;
}

/** Starts ticking every `everyMs` (default 20 s); `everyMs: 0` never ticks by itself (tests call tick()). */
export function startSyncScheduler(
  deps: Deps,
  { everyMs = 20_000, timings = DEFAULT_TIMINGS }: { everyMs?: number; timings?: RunTimings } = {},
): SyncScheduler {
  const running = new Set<Promise<unknown>>();
  let busy: Promise<unknown> | null = null;
  let stopped = false;
  const shutdown = new AbortController();

  async function tick() {
    const now = deps.clock.now().getTime();
    const started: { workspaceId: string; connectionId: string; taskId: string; done: Promise<unknown> }[] =
      [];
    for (const c of await scheduledSyncConnections(deps.db)) {
      let cron;
      try {
        cron = parseCron(c.schedule);
      } catch {
        continue; // refused when saved; a row from before cannot stop the others
      }
      for (const minute of [Math.floor(now / MINUTE) * MINUTE - MINUTE, Math.floor(now / MINUTE) * MINUTE]) {
        const at = new Date(minute);
        if (!cronMatches(cron, at, c.timezone)) continue;
        if (!await claimScheduleFire(deps.db, { workspaceId: c.workspaceId, connectionId: c.id }, at)) {
          continue;
        }
        const run = await startSyncRun(deps, {
          workspaceId: c.workspaceId,
          connectionId: c.id,
          trigger: "scheduled",
          fullSync: false,
          signal: shutdown.signal,
        }, timings);
        if (!run) {
          deps.log.info("scheduled sync skipped: a run is in flight", {
            workspaceId: c.workspaceId,
            connectionId: c.id,
          });
          continue;
        }
        running.add(run.done);
        run.done.finally(() => running.delete(run.done));
        started.push({ workspaceId: c.workspaceId, connectionId: c.id, ...run });
      }
    }
    // Tasks are kept as long as Live Events (their logs); claimed fires only as long as a fire can repeat.
    const maxAge = deps.config.eventsLogMaxAgeDays * 86_400_000;
    await deleteOldSyncRows(deps.db, new Date(now - maxAge), new Date(now));
    return started;
  }

  const timer = everyMs > 0
    ? setInterval(function scheduleTick() {
      if (busy || stopped) return;
      busy = tick().catch((e) => deps.log.warn("sync scheduler tick failed", { error: e })).finally(() =>
        busy = null
      );
    }, everyMs)
    : null;
  if (timer !== null) Deno.unrefTimer(timer);

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      await busy;
      shutdown.abort();
      await Promise.all(running);
    },
  };
}
