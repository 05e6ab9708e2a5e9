/**
 * Where an end-to-end run's CPU goes, per event: the bench process's main thread (server, pipeline, webhook
 * driver), the webhook receiver's Worker thread, the rest of the process (the load generator's Worker,
 * V8's and the I/O runtime's helper threads), the PostgreSQL backends serving the Sluice database, and
 * apart from those the warehouse's backends this process is connected to (application name
 * `sluice-warehouse`, matched to this process's own sockets, so other processes' warehouses are left out),
 * and this process's child processes (the functions' sandbox runners).
 * Background processes such as the WAL writer are not counted. Read from `/proc` (docs/profiling.md).
 * `startMachineCpu` reads the whole machine's busy cores over the same interval (other processes included).
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

/** Local TCP ports of this process's sockets (its fds' socket inodes, looked up in /proc/net/tcp{,6}). */
function ownTcpPorts(): Set<number> {
  const inodes = new Set<string>();
  for (const e of Deno.readDirSync(`/proc/${Deno.pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${Deno.pid}/fd/${e.name}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(f);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length > 9 && inodes.has(c[9])) ports.add(parseInt(c[1].split(":")[1], 16));
    }
  }
  return ports;
}

/** PostgreSQL backends of this process's warehouse connections (any database). */
async function warehousePids(db: Db): Promise<number[]> {
  const rows = await db.query<{ pid: number; port: number }>(
    "select pid, client_port as port from pg_stat_activity where application_name = 'sluice-warehouse' " +
      "and backend_type = 'client backend'",
  );
  const own = ownTcpPorts();
  return rows.filter((r) => own.has(Number(r.port))).map((r) => Number(r.pid));
}

/** This process's descendants (the sandbox runners, and what they spawn), from /proc's parent pids. */
function childPids(): number[] {
  const parent = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const fields = Deno.readTextFileSync(`/proc/${e.name}/stat`).split(") ")[1].split(" ");
      parent.set(Number(e.name), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const ours = new Set([Deno.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!ours.has(pid) && ours.has(ppid)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  ours.delete(Deno.pid);
  return [...ours];
}

/** CPU of `pids` (and of the pids `now` lists) since `at0`, µs. */
async function pidsCpuUs(at0: Map<number, number>, now: Promise<number[]>): Promise<number> {
  let us = 0;
  for (const p of new Set([...at0.keys(), ...await now])) {
    us += statCpuUs(`/proc/${p}/stat`) - (at0.get(p) ?? 0);
  }
  return us;
}

/** A run's CPU, µs in all, by where it went (`startCpuSplit`). */
export interface CpuUs {
  main: number;
  receiver: number;
  rest: number;
  postgres: number;
  /** The warehouse's backends serving this process's warehouse connections. */
  warehouse: number;
  /** This process's child processes (sandbox runners). */
  children: number;
  /** Wall time of the reading, µs. */
  wall: number;
}

/** A reading taken before a run; `end()` turns it into µs per event, `read()` into µs in all. */
export interface CpuSplit {
  end(events: number): Promise<string>;
  read(): Promise<CpuUs>;
}

/** µs per event of a reading, as `CpuSplit.end` prints it. */
export function perEvent(c: CpuUs, events: number): string {
  const per = (us: number) => (us / events).toFixed(0);
  return `main thread ${per(c.main)}, receiver ${per(c.receiver)}, rest of the process ${
    per(c.rest)
  }, PostgreSQL ${per(c.postgres)} µs/event${
    c.warehouse ? `; the warehouse's PostgreSQL ${per(c.warehouse)}` : ""
  }${c.children ? `; sandbox processes ${per(c.children)}` : ""}`;
}

/** Starts a reading; `receiverCpuUs` reads the receiver thread's CPU (it reports it itself). */
export async function startCpuSplit(db: Db, receiverCpuUs: () => number): Promise<CpuSplit> {
  const at = (pids: number[]) => new Map(pids.map((p) => [p, statCpuUs(`/proc/${p}/stat`)]));
  const pg0 = at(await backendPids(db));
  const wh0 = at(await warehousePids(db));
  const ch0 = at(childPids());
  const main0 = statCpuUs(`/proc/${Deno.pid}/task/${Deno.pid}/stat`);
  const rx0 = receiverCpuUs();
  const all0 = cpuUsage();
  const t0 = performance.now();
  const read = async (): Promise<CpuUs> => {
    const wall = (performance.now() - t0) * 1000;
    const all = cpuUsage(all0);
    const main = statCpuUs(`/proc/${Deno.pid}/task/${Deno.pid}/stat`) - main0;
    const rx = receiverCpuUs() - rx0;
    const pg = await pidsCpuUs(pg0, backendPids(db));
    const warehouse = await pidsCpuUs(wh0, warehousePids(db));
    const children = await pidsCpuUs(ch0, Promise.resolve(childPids()));
    const rest = all.user + all.system - main - rx;
    return { main, receiver: rx, rest, postgres: pg, warehouse, children, wall };
  };
  return { read, end: async (events) => perEvent(await read(), events) };
}

/** The whole machine's CPU over an interval, from `/proc/stat`'s first line (all processes, all users). */
export interface MachineCpu {
  /** Cores the machine had. */
  cores: number;
  /** Cores busy on average: busy / (busy + idle) x cores; busy counts user, nice, system, irq, softirq, steal. */
  busy: number;
  /** Of `busy`, cores the hypervisor took (steal). */
  steal: number;
  /** Cores idle with I/O outstanding (iowait: fsyncs of WAL, for one); not in `busy`. */
  iowait: number;
}

/** The first line's counters (all CPUs), and how many `cpuN` lines follow it. */
function procStat(): { ticks: number[]; cores: number } {
  const lines = Deno.readTextFileSync("/proc/stat").split("\n");
  return {
    ticks: lines[0].trim().split(/\s+/).slice(1).map(Number),
    cores: lines.filter((l) => /^cpu\d+ /.test(l)).length,
  };
}

/** Starts a reading of the machine's CPU; `end()` gives the cores busy since. */
export function startMachineCpu(): { end(): MachineCpu } {
  const s0 = procStat();
  return {
    end() {
      const s1 = procStat();
      const d = s1.ticks.map((v, i) => v - (s0.ticks[i] ?? 0));
      // user nice system idle iowait irq softirq steal (guest time is already in user).
      const [user, nice, system, idle, iowait, irq, softirq, steal] = d;
      const busy = user + nice + system + irq + softirq + (steal ?? 0);
      const total = busy + idle + iowait;
      const cores = s1.cores;
      return {
        cores,
        busy: total > 0 ? (busy / total) * cores : 0,
        steal: total > 0 ? ((steal ?? 0) / total) * cores : 0,
        iowait: total > 0 ? (iowait / total) * cores : 0,
      };
    },
  };
}
