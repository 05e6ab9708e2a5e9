/**
 * The runtime profile: what Sluice may use where it runs. `machine` (a server, a container, the single
 * binary) may spawn processes and write its embedded store; `deploy` (Deno Deploy, chosen by
 * `DENO_DEPLOYMENT_ID` or `RUNTIME=deploy`) gets network, environment and read access to the deployment's
 * own files only: no subprocess, no file writes, no FFI. What differs is decided here, once, from the
 * config; the rest of the code asks these functions rather than the environment.
 */
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";

/** Where Functions run: a runner subprocess per workspace, Workers inside this process, or nowhere. */
export type FunctionsBackend = "process" | "worker" | "none";

/** Whether this runtime can start Web Workers (Deno Deploy has offered none at times). */
export function workersAvailable(): boolean {
  return typeof (globalThis as { Worker?: unknown }).Worker === "function";
}

/**
 * The Functions backend of a profile: the machine keeps its runner processes (a heap limit per
 * workspace); Deploy, which grants no `--allow-run`, runs them in permissionless Workers in the server
 * process when it can, and else runs none and says so.
 */
export function functionsBackend(
  config: Pick<Config, "runtime">,
  hasWorkers: () => boolean = workersAvailable,
): FunctionsBackend {
  if (config.runtime !== "deploy") return "process";
  return hasWorkers() ? "worker" : "none";
}

/** Why connections with functions are refused under the `none` backend (one line, for APIs and logs). */
export const NO_WORKERS_MESSAGE =
  "Functions cannot run on this deployment: the platform offers no Web Workers to run them in " +
  "(RUNTIME=deploy). Remove the functions from the connection, or run Sluice on a machine or in Docker";

/**
 * Throws when sync connectors cannot run here: they are local programs or Docker containers started as
 * subprocesses with a temp folder of files, and Deploy grants neither. Said before anything is tried,
 * so a run, a credentials check or a discovery fails with the reason rather than a permission error.
 */
export function assertConnectorsCanRun(config: Pick<Config, "runtime">, pkg: string): void {
  if (config.runtime !== "deploy") return;
  throw new AppError(
    "unsupported_here",
    `Cannot run connector "${pkg}": sync connectors run as subprocesses (a local program or a Docker ` +
      `container), which Deno Deploy (RUNTIME=deploy) does not allow. Run syncs on a Sluice on a machine ` +
      `or in Docker (docs/deploy.md)`,
    { status: 409, expose: true },
  );
}

/** What a Deno.cron-like scheduler looks like (Deno Deploy has it; locally it needs --unstable-cron). */
export type CronScheduler = (name: string, schedule: string, handler: () => Promise<void>) => unknown;

/** The name of the background cron job (Deno Deploy's dashboard lists it under this name). */
export const CRON_NAME = "sluice-background";

/** `Deno.cron` when this runtime has it, else null. */
export function denoCron(): CronScheduler | null {
  const cron = (Deno as unknown as { cron?: CronScheduler }).cron;
  return typeof cron === "function" ? cron.bind(Deno) : null;
}
