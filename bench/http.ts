/**
 * `deno task bench http [seconds] [rounds]`: what the guarded listener (src/http/listener.ts: header and idle
 * timeouts, connection cap, accept back-off) costs next to plain `Deno.serve`, on the same app in the same
 * run. Rounds alternate between the two so that the machine's other load falls on both alike:
 * - `GET /version`: no database, so the HTTP path is most of the cost (the worst case for the listener);
 * - `POST /api/s/s2s/track`: one durable event per request on the embedded store (what ingest pays).
 * 50 keep-alive connections from a Worker (bench/_ingest_load.ts); each figure is the median of the rounds (3).
 * Besides requests/s it prints the CPU time of the main thread (where the server and Deno's HTTP engine
 * run; the Worker has its own thread) per request, from /proc on Linux: on a machine shared with other
 * work that moves much less than requests/s.
 *
 * `deno task bench http --paired [requests]` is steadier still on a busy machine: the app in two child
 * processes, one on each server, every client connection sending `GET /version` to both in turn, and the
 * CPU time of each process per request (Linux only). Figures only, no assertions (STYLE.md).
 */
import { cliPrincipal } from "../src/auth/principal.ts";
import { closeDeps, openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import type { Ctx } from "../src/deps.ts";
import { serveGuarded } from "../src/http/listener.ts";
import { createApp } from "../src/app.ts";
import { createLogger } from "../src/log.ts";
import { createResource } from "../src/services/resources.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import { openPglite } from "../src/store/pglite.ts";
import { HttpConnection } from "./_http.ts";
import type { LoadRequest, LoadResult } from "./_ingest_load.ts";

const SECONDS = Number(Deno.args[0] ?? "3");
const ROUNDS = Number(Deno.args[1] ?? "3");

function load(req: LoadRequest): Promise<LoadResult> {
  const w = new Worker(new URL("./_ingest_load.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => {
      w.terminate();
      resolve(e.data);
    };
    w.onerror = (e) => {
      w.terminate();
      reject(e);
    };
    w.postMessage(req);
  });
}

interface Served {
  port: number;
  shutdown(): Promise<void>;
}

function plain(handler: Deno.ServeHandler<Deno.NetAddr>): Served {
  const s = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  return { port: s.addr.port, shutdown: () => s.shutdown() };
}

function guarded(handler: Deno.ServeHandler<Deno.NetAddr>): Served {
  const s = serveGuarded(handler, {
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 10_000,
    idleTimeoutMs: 75_000,
    maxConnections: 4096,
    log: createLogger({ level: "error" }),
  });
  return { port: s.addr.port, shutdown: () => s.shutdown() };
}

/** CPU ms of this process's main thread so far (user + system), or NaN off Linux. */
function mainThreadCpuMs(): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/self/task/${Deno.pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pctChange(from: number, to: number): string {
  const d = ((to - from) / from) * 100;
  return `${d >= 0 ? "+" : ""}${d.toFixed(1)}%`;
}

/** CPU ms a process has used so far (user + system, all threads), from /proc. */
function processCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Child of --paired: serves the app with one of the two servers and prints its port. */
async function serveChild(which: string) {
  const config = loadConfig({
    PUBLIC_URL: "http://127.0.0.1:3000",
    PIPELINE_WORKERS: "0",
    LOG_LEVEL: "error",
  });
  const deps = await openDeps(config, { db: await openPglite(), log: createLogger({ level: "error" }) });
  const served = (which === "guarded" ? guarded : plain)(createApp(deps).fetch);
  console.log(`port ${served.port}`);
}

async function startChild(which: string): Promise<{ pid: number; url: URL; kill(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", which],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/port (\d+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the ${which} server did not start`);
    out += value;
  }
  reader.releaseLock();
  return {
    pid: child.pid,
    url: new URL(`http://127.0.0.1:${/port (\d+)/.exec(out)![1]}/version`),
    async kill() {
      child.kill();
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

async function paired(requests: number) {
  const servers = { plain: await startChild("plain"), guarded: await startChild("guarded") };
  async function run(n: number, order: ("plain" | "guarded")[]) {
    let left = n;
    await Promise.all(Array.from({ length: 25 }, async () => {
      const conns = order.map((w) => new HttpConnection(servers[w].url));
      while (left-- > 0) for (const c of conns) await c.request("GET", c.url.pathname);
      for (const c of conns) c.close();
    }));
  }
  console.log(
    `== paired: GET /version to both servers in turn, ${requests} requests each, CPU per request ==`,
  );
  const changes: number[] = [];
  try {
    for (
      const order of [["plain", "guarded"], ["guarded", "plain"], ["plain", "guarded"], [
        "guarded",
        "plain",
      ]] as const
    ) {
      await run(2000, [...order]);
      const p0 = processCpuMs(servers.plain.pid);
      const g0 = processCpuMs(servers.guarded.pid);
      await run(requests, [...order]);
      const p = ((processCpuMs(servers.plain.pid) - p0) * 1000) / requests;
      const g = ((processCpuMs(servers.guarded.pid) - g0) * 1000) / requests;
      changes.push((g - p) / p);
      console.log(
        `  ${order.join(" first, then ")}: plain ${p.toFixed(1)} µs, guarded ${g.toFixed(1)} µs (${
          pctChange(p, g)
        })`,
      );
    }
    console.log(`median change in CPU per request: ${(median(changes) * 100).toFixed(1)}%`);
  } finally {
    await servers.plain.kill();
    await servers.guarded.kill();
  }
}

async function main() {
  const config = loadConfig({
    PUBLIC_URL: "http://127.0.0.1:3000",
    PIPELINE_WORKERS: "0",
    LOG_LEVEL: "error",
  });
  const deps = await openDeps(config, { db: await openPglite(), log: createLogger({ level: "error" }) });
  const user = await createUser(deps.db, { email: "bench@example.com", password: null, isAdmin: false });
  const ctx: Ctx = { ...deps, principal: cliPrincipal(user), requestId: "bench", channel: "cli" };
  const ws = await createWorkspace(ctx, { name: "Bench", slug: null });
  const stream = await createResource(ctx, { workspaceId: ws.id, type: "stream", data: { name: "b" } }) as {
    writeKey: string;
  };
  const app = createApp(deps);
  const cases = [
    { name: "GET /version", path: "/version", method: "GET" as const, headers: {} as Record<string, string> },
    {
      name: "POST /api/s/s2s/track",
      path: "/api/s/s2s/track",
      method: "POST" as const,
      headers: { "content-type": "application/json", "x-write-key": stream.writeKey },
    },
  ];
  console.log(`== plain Deno.serve vs the guarded listener (${SECONDS} s a round, median of ${ROUNDS}) ==`);
  for (const c of cases) {
    const rates: Record<string, number[]> = { plain: [], guarded: [] };
    const cpu: Record<string, number[]> = { plain: [], guarded: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, serve] of [["plain", plain], ["guarded", guarded]] as const) {
        const served = serve(app.fetch);
        let cpu0 = NaN;
        const warm = setTimeout(() => cpu0 = mainThreadCpuMs(), 500);
        const r = await load({
          url: `http://127.0.0.1:${served.port}${c.path}`,
          method: c.method,
          headers: c.headers,
          template: JSON.stringify({
            type: "track",
            event: "Bench",
            messageId: "m-#N#",
            properties: { n: 1 },
          }),
          concurrency: 50,
          durationMs: SECONDS * 1000,
          warmupMs: 500,
        });
        const cpuMs = mainThreadCpuMs() - cpu0;
        clearTimeout(warm);
        await served.shutdown();
        rates[name].push(r.ok / (r.elapsedMs / 1000));
        cpu[name].push((cpuMs * 1000) / (r.ok + r.failed));
      }
    }
    const p = median(rates.plain);
    const g = median(rates.guarded);
    const pc = median(cpu.plain);
    const gc = median(cpu.guarded);
    console.log(c.name);
    console.log(
      `  plain Deno.serve  ${p.toFixed(0).padStart(6)} req/s  ${pc.toFixed(1).padStart(6)} µs CPU/req`,
    );
    console.log(
      `  guarded listener  ${g.toFixed(0).padStart(6)} req/s  ${gc.toFixed(1).padStart(6)} µs CPU/req  ` +
        `(req/s ${pctChange(p, g)}, CPU/req ${pctChange(pc, gc)})`,
    );
    console.log(
      `  rounds req/s: plain ${rates.plain.map(Math.round)}; guarded ${rates.guarded.map(Math.round)}`,
    );
  }
  await closeDeps(deps);
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") await serveChild(Deno.args[1]);
  else if (Deno.args[0] === "--paired") await paired(Number(Deno.args[1] ?? "30000"));
  else await main();
}
