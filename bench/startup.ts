/**
 * `deno task bench startup [--runs N]`: how long Sluice takes to be useful, measured as a user meets it.
 *
 * - warm start to the first `/healthz` 200, on the embedded store and on PostgreSQL (store created and
 *   migrated beforehand; the process is spawned exactly as `deno task start` spawns it, with the start
 *   task's flags read from deno.json; a command with the `cli` task's);
 * - the first API call right after that `/healthz` (`GET /api/workspace` with an API key), from the
 *   `/healthz` answer to its own: what loads on first use must not make the first request wait;
 * - then a first MCP `initialize` (`POST /mcp`, the same key) and a first console page (the workspace's
 *   overview, signed in), one after the other, each timed from spawn;
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
  /** Serve only: ms from spawn to the answer of the first MCP `initialize` (sent after the API call). */
  firstMcp?: number;
  /** Serve only: ms from spawn to the first console page (sent after the MCP call). */
  firstPage?: number;
}

/** The API key the first API call after a start sends (`keyId:keySecret`). */
let apiKey = "";
/** The bench user's session cookie (`name=value`) and workspace id, for the first console page. */
let session = "";
let workspaceId = "";

// A CLI command runs under `sh`, whose `times` prints its children's CPU time on exit (to stderr).
const WITH_CPU_TIMES = '"$@"; s=$?; times >&2; exit $s';

/**
 * The `deno run` flags of a checkout's `start` task (`cli` for a command): the bench spawns main.ts with
 * exactly those, so each checkout of a `--compare` is measured as its own `deno task start` runs it.
 */
function taskFlags(target: Target, task: "start" | "cli"): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${target.dir}/deno.json`));
  const words = String(config.tasks?.[task] ?? "").split(/\s+/);
  const main = words.indexOf("main.ts");
  if (words[0] !== "deno" || words[1] !== "run" || main < 0) {
    throw new Error(
      `${target.dir}/deno.json: the ${task} task is not a "deno run ... main.ts": ${words.join(" ")}`,
    );
  }
  return words.slice(2, main);
}

function sluice(target: Target, args: string[], env: Record<string, string>, stdin?: string) {
  const flags = taskFlags(target, args[0] === "serve" ? "start" : "cli");
  const deno = ["run", ...flags, "--quiet", `${target.dir}/main.ts`, ...args];
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
  workspaceId =
    (await run(self, ["workspace", "create", "--name", "Bench", "--owner", "bench@example.com"], env))
      .stdout.trim();
  session = await signIn(self, env);
}

/** The cookies a response sets, as `name=value` pairs. */
function cookies(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]);
}

/** Signs the bench user in through `/login` on a server started for it; the session outlives the server. */
async function signIn(self: Target, env: Record<string, string>): Promise<string> {
  const port = freePort();
  const child = sluice(self, ["serve"], { ...env, PORT: String(port), HOST: "127.0.0.1" });
  const base = `http://127.0.0.1:${port}`;
  try {
    const t0 = performance.now();
    while (true) {
      try {
        const res = await fetch(`${base}/healthz`);
        await res.body?.cancel();
        if (res.ok) break;
      } catch {
        if (performance.now() - t0 > 120_000) throw new Error("no /healthz in 120 s");
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const form = await fetch(`${base}/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
    if (!csrf) throw new Error("GET /login: no CSRF token in the form");
    const res = await fetch(`${base}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies(form).join("; ") },
      body: new URLSearchParams({ csrf, email: "bench@example.com", password: "bench password", next: "/" }),
    });
    await res.body?.cancel();
    const cookie = cookies(res).find((c) => c.startsWith("sluice_session="));
    if (!cookie) throw new Error(`POST /login answered ${res.status} without a session`);
    return cookie;
  } finally {
    child.kill("SIGTERM");
    await child.output();
  }
}

/** The MCP `initialize` a client sends first. */
const MCP_INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
});

/** After `/healthz`: the first API call (timed from `/healthz`), the first MCP call and console page (from spawn). */
async function firstRequests(port: number, t0: number, sample: Sample) {
  const base = `http://127.0.0.1:${port}`;
  const t1 = performance.now();
  const api = await fetch(`${base}/api/workspace`, { headers: { authorization: `Bearer ${apiKey}` } });
  await api.body?.cancel();
  if (!api.ok) throw new Error(`GET /api/workspace answered ${api.status}`);
  sample.firstCall = performance.now() - t1;
  const mcp = await fetch(`${base}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${apiKey}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: MCP_INITIALIZE,
  });
  const answer = await mcp.text();
  if (!mcp.ok || !answer.includes('"serverInfo"')) {
    throw new Error(`MCP initialize answered ${mcp.status}: ${answer}`);
  }
  sample.firstMcp = performance.now() - t0;
  const page = await fetch(`${base}/${workspaceId}`, { headers: { cookie: session }, redirect: "manual" });
  const html = await page.text();
  if (page.status !== 200 || !html.includes("<html")) {
    throw new Error(`GET /${workspaceId} answered ${page.status}`);
  }
  sample.firstPage = performance.now() - t0;
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
      await firstRequests(port, t0, sample);
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
async function phases(self: Target, store: string, env: Record<string, string>) {
  console.log(`\nwhere a warm ${store} start spends its time (one process, steps in a row):`);
  await new Deno.Command(Deno.execPath(), {
    args: ["run", ...taskFlags(self, "start"), "--quiet", PHASES],
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
    for (const [what, key] of [["MCP initialize", "firstMcp"], ["console page", "firstPage"]] as const) {
      const v = samples[k].map((x) => x[key]).filter((x) => x !== undefined);
      console.log(
        `${`  then the first ${what}${t.label}`.padEnd(54)} median ${
          median(v).toFixed(0).padStart(6)
        } ms   max ${Math.max(...v).toFixed(0).padStart(6)} ms   (from spawn)`,
      );
    }
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
    await phases(self, "embedded", env);
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
    await phases(self, "PostgreSQL", env);
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
