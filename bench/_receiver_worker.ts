/**
 * The webhook receiver of bench/pipeline.ts, in a Worker of its own (its own thread and event loop, as a
 * receiver in another process would be): answers `ok` at once, or after the delay set for a path, and
 * reports counts and ingest-to-delivery latencies per path to the bench every 10 ms, and its thread's CPU
 * time.
 */
/// <reference lib="deno.worker" />
const counts = new Map<string, number>();
const latencies = new Map<string, number[]>();
const slow = new Map<string, number>();
let dirty = false;

self.onmessage = (e: MessageEvent<{ slow: [string, number][] }>) => {
  slow.clear();
  for (const [p, ms] of e.data.slow) slow.set(p, ms);
};

const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  const path = new URL(req.url).pathname;
  const body = await req.json().catch(() => ({}));
  const delay = slow.get(path);
  if (delay) await new Promise((r) => setTimeout(r, delay));
  counts.set(path, (counts.get(path) ?? 0) + 1);
  if (typeof body.receivedAt === "string") {
    const l = latencies.get(path) ?? [];
    l.push(Date.now() - Date.parse(body.receivedAt));
    latencies.set(path, l);
  }
  dirty = true;
  return new Response("ok");
});

/** This thread's CPU time in µs (the bench splits a run's CPU by thread: bench/_cpu_split.ts). */
function cpuUs(): number {
  try {
    const f = Deno.readTextFileSync("/proc/thread-self/stat").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return 0;
  }
}

let ticks = 0;
setInterval(() => {
  // The thread's CPU every 100 ms, counts whenever they changed.
  if (!dirty && ++ticks % 10 !== 0) return;
  dirty = false;
  self.postMessage({ counts: [...counts], latencies: [...latencies], cpuUs: cpuUs() });
  latencies.clear();
}, 10);

self.postMessage({ port: server.addr.port });
