/**
 * Where an end-to-end run's CPU goes, per event: the bench process's main thread (server, pipeline, webhook
 * driver), the webhook receiver's Worker thread, the rest of the process (the load generator's Worker,
 * V8's and the I/O runtime's helper threads), the Functions runner processes (children of this process, not
 * in its own CPU figure) and the PostgreSQL backends serving the Sluice database (background processes such
 * as the WAL writer are not counted). Read from `/proc` (docs/profiling.md).
 */
import { cpuUsage } from "node:process";
import type { Db } from "../src/store/db.ts";

const TICK_US = 10_000;

/** utime + stime of a `/proc/.../stat` file, in µs; 0 when it is gone. */
export function statCpuUs(path: string): number {
  try {
    const fields = Deno.readTextFileSync(path).split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return 0;
  }
}

async function backendPids(db: Db): Promise<number[]> {
  const rows = await db.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'",
  );
  return rows.map((r) => Number(r.pid));
}

/** A reading taken before a run; `end()` turns it into µs per event. */
export interface CpuSplit {
  end(events: number): Promise<string>;
}

/**
 * Starts a reading; `receiverCpuUs` reads the receiver thread's CPU (it reports it itself), `runnerPids` lists
 * the live Functions runner processes (Sandbox.runnerPids; a runner started during the run counts whole).
 */
export async function startCpuSplit(
  db: Db,
  receiverCpuUs: () => number,
  runnerPids: () => number[] = () => [],
): Promise<CpuSplit> {
  const pids = await backendPids(db);
  const pg0 = new Map(pids.map((p) => [p, statCpuUs(`/proc/${p}/stat`)]));
  const main0 = statCpuUs(`/proc/${Deno.pid}/task/${Deno.pid}/stat`);
  const rx0 = receiverCpuUs();
  const runners0 = new Map(runnerPids().map((p) => [p, statCpuUs(`/proc/${p}/stat`)]));
  const all0 = cpuUsage();
  return {
    async end(events: number) {
      const all = cpuUsage(all0);
      const main = statCpuUs(`/proc/${Deno.pid}/task/${Deno.pid}/stat`) - main0;
      const rx = receiverCpuUs() - rx0;
      let pg = 0;
      for (const p of new Set([...pids, ...await backendPids(db)])) {
        pg += statCpuUs(`/proc/${p}/stat`) - (pg0.get(p) ?? 0);
      }
      let runners = 0;
      for (const p of new Set([...runners0.keys(), ...runnerPids()])) {
        runners += statCpuUs(`/proc/${p}/stat`) - (runners0.get(p) ?? 0);
      }
      const per = (us: number) => (us / events).toFixed(0);
      return `main thread ${per(main)}, receiver ${per(rx)}, rest of the process ${
        per(all.user + all.system - main - rx)
      }, function runners ${per(runners)}, PostgreSQL ${per(pg)} µs/event`;
    },
  };
}
