/**
 * `deno task bench startup [--runs N]`: how long Sluice takes to be useful, measured as a user meets it.
 *
 * - warm start to the first `/healthz` 200, on the embedded store and on PostgreSQL (store created and
 *   migrated beforehand; the process is spawned exactly as `deno task start` spawns it);
 * - the first API call right after that `/healthz` (`GET /api/workspace` with an API key), from the
 *   `/healthz` answer to its own: what loads on first use must not make the first request wait;
 * - one CLI command (`apikey list`) from spawn to exit;
 * - where a warm start spends its time, phase by phase, on each store (bench/_startup_phases.ts).
 *
 * Prints figures; asserts nothing (the load of the machine moves them: compare runs made together).
 * `--store embedded|postgres` measures one store only.
 * `--compare DIR` measures another checkout (e.g. `/path/to/main` before a change) in the same run, its
 * runs alternating with this checkout's, so a change of load hits both alike.
 */
import postgres from "postgres";

const HERE = new URL("..", import.meta.url).pathname;
const PHASES = new URL("./_startup_phases.ts", import.meta.url).pathname;
const PG_URL = Deno.env.get("PGTEST_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A checkout to run: its folder (main.ts runs there, with its own deno.json) and its label. */
interface Target {
  dir: string;
  label: string;
}

/** One start: wall-clock ms, and the CPU ms the process used (all its threads), which the machine's
 * load moves less than the wall clock. */
interface Sample {
  wall: number;
  cpu: number;
  /** Serve only: ms from the first `/healthz` 200 to the first API call's answer. */
  firstCall?: number;
}

/** The API key the first API call after a start sends (`keyId:keySecret`). */
let apiKey = "";

// A CLI command runs under `sh`, whose `times` prints its children's CPU time on exit (to stderr).
const WITH_CPU_TIMES = '"$@"; s=$?; times >&2; exit $s';

function sluice(target: Target, args: string[], env: Record<string, string>, stdin?: string) {
  const deno = ["run", "--allow-all", "--quiet", `${target.dir}/main.ts`, ...args];
  const viaSh = args[0] !== "serve";
  return new Deno.Command(viaSh ? "sh" : Deno.execPath(), {
    args: viaSh ? ["-c", WITH_CPU_TIMES, "sh", Deno.execPath(), ...deno] : deno,
    cwd: target.dir,
    env: { NO_COLOR: "1", LOG_LEVEL: "warn", ...env },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** `times` prints "0m0.01s 0m0.00s" (the shell), then the same for its children. */
function childCpuMs(stderr: string): number {
  const lines = stderr.trim().split("\n");
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1] ?? "");
  if (!m) return NaN;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/** User + system CPU ms of a live process, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in 1/100 s (USER_HZ)
  } catch {
    return NaN;
  }
}

async function run(
  target: Target,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<Sample & { stdout: string }> {
  const t0 = performance.now();
  const child = sluice(target, args, env, stdin);
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const wall = performance.now() - t0;
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success && !args.includes("list")) throw new Error(`sluice ${args.join(" ")} failed: ${stderr}`);
  return { wall, cpu: childCpuMs(stderr), stdout: new TextDecoder().decode(out.stdout) };
}

/** Creates the bench user and an API key for the first API call after each start. */
async function createUser(self: Target, env: Record<string, string>) {
  await run(
    self,
    ["user", "create", "--email", "bench@example.com", "--password-stdin"],
    env,
    "bench password\n",
  );
  apiKey = (await run(self, ["apikey", "create", "--email", "bench@example.com"], env)).stdout.trim();
}

/** Spawns `main.ts serve` and returns the time until `/healthz` first answers 200. */
async function startToHealthz(target: Target, env: Record<string, string>): Promise<Sample> {
  const port = freePort();
  const t0 = performance.now();
  const child = sluice(target, ["serve"], { ...env, PORT: String(port), HOST: "127.0.0.1" });
  let sample: Sample | null = null;
  while (!sample && performance.now() - t0 < 120_000) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      await res.body?.cancel();
      if (res.ok) sample = { wall: performance.now() - t0, cpu: processCpuMs(child.pid) };
    } catch {
      await new Promise((r) => setTimeout(r, 5)); // not listening yet
    }
  }
  if (sample) {
    try {
      const t1 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/api/workspace`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`GET /api/workspace answered ${res.status}`);
      sample.firstCall = performance.now() - t1;
    } catch (e) {
      child.kill("SIGTERM");
      await child.output();
      throw e;
    }
  }
  child.kill("SIGTERM");
  const out = await child.output();
  if (!sample) throw new Error(`no /healthz in 120 s: ${new TextDecoder().decode(out.stderr)}`);
  return sample;
}

/** Prints where a warm start on this store spends its time (bench/_startup_phases.ts). */
async function phases(store: string, env: Record<string, string>) {
  console.log(`\nwhere a warm ${store} start spends its time (one process, steps in a row):`);
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", PHASES],
    env: { NO_COLOR: "1", LOG_LEVEL: "warn", ...env },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function summary(label: string, samples: Sample[]) {
  const wall = samples.map((x) => x.wall);
  const cpu = median(samples.map((x) => x.cpu));
  console.log(
    `${label.padEnd(54)} median ${median(wall).toFixed(0).padStart(6)} ms   min ${
      Math.min(...wall).toFixed(0).padStart(6)
    } ms   CPU ${Number.isNaN(cpu) ? "   n/a" : cpu.toFixed(0).padStart(6)} ms   (${samples.length} runs)`,
  );
}

/** Runs `fn` `n` times per target, the targets taking turns, and prints one summary per target. */
async function measure(
  label: string,
  targets: Target[],
  n: number,
  fn: (t: Target) => Promise<Sample>,
): Promise<void> {
  const samples = targets.map(() => [] as Sample[]);
  for (let i = 0; i < n; i++) {
    for (const [k, t] of targets.entries()) samples[k].push(await fn(t));
  }
  for (const [k, t] of targets.entries()) summary(`${label}${t.label}`, samples[k]);
  for (const [k, t] of targets.entries()) {
    const first = samples[k].map((x) => x.firstCall).filter((x) => x !== undefined);
    if (first.length === 0) continue;
    console.log(
      `${`  then the first API call${t.label}`.padEnd(54)} median ${
        median(first).toFixed(0).padStart(6)
      } ms   max ${Math.max(...first).toFixed(0).padStart(6)} ms   (after /healthz)`,
    );
  }
}

async function embedded(targets: Target[], runs: number) {
  const dataDir = await Deno.makeTempDir({ prefix: "sluice-bench-startup-" });
  const env = { DATA_DIR: dataDir };
  const [self] = targets;
  try {
    summary("first start: create + migrate (embedded)", [await run(self, ["migrate"], env)]);
    await createUser(self, env);
    await measure("warm start to /healthz (embedded)", targets, runs, (t) => startToHealthz(t, env));
    await measure(
      "CLI apikey list (embedded)",
      targets,
      runs,
      (t) => run(t, ["apikey", "list", "--email", "bench@example.com"], env),
    );
    await phases("embedded", env);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function onPostgres(targets: Target[], runs: number) {
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    await admin`select 1`;
  } catch (e) {
    console.log(
      `PostgreSQL not reachable at ${PG_URL.replace(/:[^:@/]*@/, ":***@")}: skipped (${
        (e as Error).message
      })`,
    );
    await admin.end();
    return;
  }
  const name = `sluice_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.unsafe(`create database ${name}`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  const env = { DATABASE_URL: u.toString() };
  const [self] = targets;
  try {
    await run(self, ["migrate"], env);
    await createUser(self, env);
    await measure("warm start to /healthz (PostgreSQL)", targets, runs, (t) => startToHealthz(t, env));
    await measure(
      "CLI apikey list (PostgreSQL)",
      targets,
      runs,
      (t) => run(t, ["apikey", "list", "--email", "bench@example.com"], env),
    );
    await phases("PostgreSQL", env);
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

function usage(): never {
  console.error(
    "Usage: deno task bench startup [--runs N] [--compare CHECKOUT_DIR] [--store embedded|postgres]",
  );
  Deno.exit(2);
}

async function main(args: string[]) {
  const i = args.indexOf("--runs");
  const runs = i >= 0 ? Number(args[i + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) usage();
  const targets: Target[] = [{ dir: HERE.replace(/\/$/, ""), label: "" }];
  const c = args.indexOf("--compare");
  if (c >= 0) {
    const dir = args[c + 1]?.replace(/\/$/, "");
    if (!dir) usage();
    await Deno.stat(`${dir}/main.ts`);
    targets[0].label = " [this]";
    targets.push({ dir, label: " [compare]" });
  }
  const load = (() => {
    try {
      return Deno.loadavg().map((x) => x.toFixed(1)).join(" ");
    } catch {
      return "unknown";
    }
  })();
  console.log(`Sluice startup, ${navigator.hardwareConcurrency} cores, load average ${load}`);
  if (targets.length > 1) console.log(`[compare] is ${targets[1].dir}, runs alternating with [this]`);
  const s = args.indexOf("--store");
  const store = s >= 0 ? args[s + 1] : "both";
  if (!["embedded", "postgres", "both"].includes(store)) usage();
  console.log("");
  if (store !== "postgres") await embedded(targets, runs);
  console.log("");
  if (store !== "embedded") await onPostgres(targets, runs);
}

if (import.meta.main) await main(Deno.args);
