/**
 * `deno task bench backlog [events]`: the server's own memory while a backlog drains, with the server in a
 * process of its own exactly as `deno task start` runs it (`deno run --allow-all main.ts serve`, PostgreSQL
 * store), so the figure holds nothing of the bench (bench/pipeline.ts's backlog part measures its whole
 * process, load generator and receiver Workers included).
 *
 * 1. A fresh database; a workspace with a stream and a webhook connection to a counting receiver in another
 *    process (bench/_counting_receiver.ts).
 * 2. A server with `PIPELINE_WORKERS=0` (it only ingests) takes `events` (default 1,000,000) on `/v1/batch`
 *    in batches of 100, then stops.
 * 3. A second server, with the pipeline on, drains them: its resident memory (`VmRSS` of /proc, sampled
 *    every 200 ms, and the kernel's high-water mark `VmHWM`) until the receiver has every event.
 * Target (docs/performance.md): RSS under 300 MB while a 1,000,000-event backlog drains. Figures only.
 */
import postgres from "postgres";
import { openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { openPostgres } from "../src/store/postgres.ts";
import { BATCH, load, PG_ADMIN, workspace } from "./_pipeline_world.ts";

const N = Number(Deno.args[0] ?? 1_000_000);
const MAIN = new URL("../main.ts", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** VmRSS and VmHWM of a process, MB. */
async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** `main.ts serve` in its own process; resolves once `/healthz` answers 200. */
async function startServer(env: Record<string, string>) {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "serve"],
    env: { ...env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "error" },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  while (performance.now() - t0 < 60_000) {
    const ok = await fetch(`${url}/healthz`).then((r) => (r.body?.cancel(), r.ok), () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function main() {
  const name = `sluice_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  const databaseUrl = u.toString();
  const receiver = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_counting_receiver.ts", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const port = Number((await receiver.stdout.pipeThrough(new TextDecoderStream()).getReader().read()).value!);
  const received = () => fetch(`http://127.0.0.1:${port}/count`).then((r) => r.text()).then(Number);
  try {
    const config = loadConfig({ LOG_LEVEL: "error", PIPELINE_WORKERS: "0", DATABASE_URL: databaseUrl });
    const db = openPostgres(databaseUrl);
    const deps = await openDeps(config, { db, log: createLogger({ level: "error" }) });
    const ws = await workspace(deps, "backlog");
    const stream = await ws.add("stream", { name: "s" });
    const hook = await ws.add("destination", {
      name: "hook",
      destinationType: "webhook",
      url: `http://127.0.0.1:${port}/backlog`,
    });
    await ws.connect(stream.id, hook.id);
    await db.close();

    const env = { DATABASE_URL: databaseUrl, QUEUE_MAX_DEPTH: String(N * 2) };
    const filler = await startServer({ ...env, PIPELINE_WORKERS: "0" });
    const f0 = performance.now();
    const sent = await load({
      url: `${filler.url}/v1/batch`,
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${stream.writeKey}:`)}` },
      template: BATCH,
      concurrency: 4,
      durationMs: 3_600_000,
      maxRequests: N / 100,
    });
    const fillSec = (performance.now() - f0) / 1000;
    const fillMem = await memoryOf(filler.pid);
    await filler.stop();
    console.log(
      `backlog of ${N} events: ${sent.ok} batches accepted in ${
        fillSec.toFixed(0)
      } s by a server that only ` +
        `ingests (its RSS ${fillMem.rss.toFixed(0)} MB at the end, ${fillMem.hwm.toFixed(0)} MB at most)`,
    );

    const drainer = await startServer(env);
    const start = await memoryOf(drainer.pid);
    const t0 = performance.now();
    let peak = start.rss;
    let done = 0;
    let lastPrint = t0;
    while (done < N && performance.now() - t0 < 7_200_000) {
      await new Promise((r) => setTimeout(r, 200));
      peak = Math.max(peak, (await memoryOf(drainer.pid)).rss);
      done = await received();
      if (performance.now() - lastPrint > 60_000) {
        lastPrint = performance.now();
        console.log(
          `  ${((lastPrint - t0) / 1000).toFixed(0)} s: ${done} delivered, RSS at most ${peak.toFixed(0)} MB`,
        );
      }
    }
    const sec = (performance.now() - t0) / 1000;
    const end = await memoryOf(drainer.pid);
    await drainer.stop();
    const load1 = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
    console.log(
      `drained ${done} of ${N} in ${sec.toFixed(0)} s (${
        (done / sec).toFixed(0)
      } events/s); the server's RSS: ` +
        `${start.rss.toFixed(0)} MB once started, ${peak.toFixed(0)} MB at most in the samples, ` +
        `${end.hwm.toFixed(0)} MB high-water mark (VmHWM), ${end.rss.toFixed(0)} MB at the end ` +
        `(target: under 300 MB); load average ${load1}`,
    );
  } finally {
    receiver.stdin.close();
    await receiver.status;
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (import.meta.main) await main();
