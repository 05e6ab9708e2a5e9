/**
 * The webhook receiver of bench/pipeline.ts, in a Worker of its own (its own thread and event loop, as a
 * receiver in another process would be): answers `ok` at once, or after the delay set for a path, and
 * reports counts and ingest-to-delivery latencies per path to the bench every 10 ms.
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

setInterval(() => {
  if (!dirty) return;
  dirty = false;
  self.postMessage({ counts: [...counts], latencies: [...latencies] });
  latencies.clear();
}, 10);

self.postMessage({ port: server.addr.port });
