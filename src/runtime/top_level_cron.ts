/**
 * Deno Deploy finds cron jobs when a deployment starts, and only those registered at the top level of
 * the main module before any server starts (jobs registered later are not picked up). The server is
 * built long after that, so main.ts registers the one job here at its top level, and the background
 * attaches its pass to it when it starts (src/runtime/background_pass.ts). A run before then does nothing.
 */
import { CRON_NAME, type CronScheduler } from "./profile.ts";

/**
 * Registers the background job with `cron` now; returns a scheduler through which the background later
 * attaches its handler (a second attach under the same name replaces the first). Null without `cron`.
 */
export function registerTopLevelCron(cron: CronScheduler | null): CronScheduler | null {
  if (!cron) return null;
  const handlers = new Map<string, () => Promise<void>>();
  cron(CRON_NAME, "* * * * *", async function runAttached() {
    await Promise.all([...handlers.values()].map((h) => h()));
  });
  return function attach(name, _schedule, handler) {
    handlers.set(name, handler);
  };
}

/** Whether the environment selects the Deploy profile (the same rule as loadConfig's RUNTIME). */
export function deployProfileSelected(env: { DENO_DEPLOYMENT_ID?: string; RUNTIME?: string }): boolean {
  return env.RUNTIME === "deploy" || (!env.RUNTIME && !!env.DENO_DEPLOYMENT_ID);
}
