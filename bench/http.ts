/**
 * `deno task bench http [seconds] [rounds]`: what the guarded listener (src/http/listener.ts: header and idle
 * timeouts, connection cap, accept back-off) costs next to plain `Deno.serve`, on the same app in the same
 * run. Rounds alternate between the two so that the machine's other load falls on both alike:
 * - `GET /version`: no database, so the HTTP path is most of the cost (the worst case for the listener);
 * - `POST /api/s/s2s/track`: one durable event per request on the embedded store (what ingest pays).
 * 50 keep-alive connections from a Worker (bench/_ingest_load.ts); each figure is the median of the rounds (3).
 * Besides requests/s it prints the CPU time of the main thread (where the server and Deno's HTTP engine
 * run; the Worker has its own thread) per request, from /proc on Linux: on a machine shared with other
 * work that moves much less than requests/s. Figures only, no assertions (STYLE.md).
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

if (import.meta.main) await main();
