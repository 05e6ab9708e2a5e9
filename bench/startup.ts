/**
 * `deno task bench startup [--runs N]`: how long Sluice takes to be useful, measured as a user meets it.
 *
 * - warm start to the first `/healthz` 200, on the embedded store and on PostgreSQL (store created and
 *   migrated beforehand; the process is spawned exactly as `deno task start` spawns it);
 * - one CLI command (`apikey list`) from spawn to exit;
 * - where a warm embedded start spends its time, phase by phase (bench/_startup_phases.ts).
 *
 * Prints figures; asserts nothing (the load of the machine moves them: compare runs made together).
 */
import postgres from "postgres";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const PHASES = new URL("./_startup_phases.ts", import.meta.url).pathname;
const PG_URL = Deno.env.get("PGTEST_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function sluice(args: string[], env: Record<string, string>, stdin?: string) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, ...args],
    env: { NO_COLOR: "1", LOG_LEVEL: "warn", ...env },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function run(args: string[], env: Record<string, string>, stdin?: string): Promise<number> {
  const t0 = performance.now();
  const child = sluice(args, env, stdin);
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (!out.success && !args.includes("list")) {
    throw new Error(`sluice ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return performance.now() - t0;
}

/** Spawns `main.ts serve` and returns the ms until `/healthz` first answers 200. */
async function startToHealthz(env: Record<string, string>): Promise<number> {
  const port = freePort();
  const t0 = performance.now();
  const child = sluice(["serve"], { ...env, PORT: String(port), HOST: "127.0.0.1" });
  let ms = NaN;
  while (Number.isNaN(ms) && performance.now() - t0 < 120_000) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      await res.body?.cancel();
      if (res.ok) ms = performance.now() - t0;
    } catch {
      await new Promise((r) => setTimeout(r, 5)); // not listening yet
    }
  }
  child.kill("SIGTERM");
  const out = await child.output();
  if (Number.isNaN(ms)) throw new Error(`no /healthz in 120 s: ${new TextDecoder().decode(out.stderr)}`);
  return ms;
}

function summary(label: string, samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)];
  console.log(
    `${label.padEnd(44)} median ${median.toFixed(0).padStart(6)} ms   min ${s[0].toFixed(0).padStart(6)} ms` +
      `   (${s.length} runs)`,
  );
}

async function repeat(n: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

async function embedded(runs: number) {
  const dataDir = await Deno.makeTempDir({ prefix: "sluice-bench-startup-" });
  const env = { DATA_DIR: dataDir };
  try {
    summary("first start: create + migrate (embedded)", [await run(["migrate"], env)]);
    await run(
      ["user", "create", "--email", "bench@example.com", "--password-stdin"],
      env,
      "bench password\n",
    );
    summary("warm start to /healthz (embedded)", await repeat(runs, () => startToHealthz(env)));
    summary(
      "CLI apikey list (embedded)",
      await repeat(runs, () => run(["apikey", "list", "--email", "bench@example.com"], env)),
    );
    const phases = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--quiet", PHASES],
      env: { NO_COLOR: "1", DATA_DIR: dataDir, LOG_LEVEL: "warn" },
      stdout: "inherit",
      stderr: "inherit",
    });
    console.log("\nwhere a warm embedded start spends its time (one process, cumulative):");
    await phases.output();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function onPostgres(runs: number) {
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
  try {
    await run(["migrate"], env);
    await run(
      ["user", "create", "--email", "bench@example.com", "--password-stdin"],
      env,
      "bench password\n",
    );
    summary("warm start to /healthz (PostgreSQL)", await repeat(runs, () => startToHealthz(env)));
    summary(
      "CLI apikey list (PostgreSQL)",
      await repeat(runs, () => run(["apikey", "list", "--email", "bench@example.com"], env)),
    );
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function main(args: string[]) {
  const i = args.indexOf("--runs");
  const runs = i >= 0 ? Number(args[i + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error("Usage: deno task bench startup [--runs N]");
    Deno.exit(2);
  }
  const load = (() => {
    try {
      return Deno.loadavg().map((x) => x.toFixed(1)).join(" ");
    } catch {
      return "unknown";
    }
  })();
  console.log(`Sluice startup, ${navigator.hardwareConcurrency} cores, load average ${load}\n`);
  await embedded(runs);
  console.log("");
  await onPostgres(runs);
}

if (import.meta.main) await main(Deno.args);
