/// <reference lib="deno.worker" />
/**
 * Load generator for bench/ingest.ts, run as a Worker so it has its own event loop (it still shares the
 * machine's cores with the server: compare figures of one run only). Sends POSTs with `concurrency`
 * requests in flight for `durationMs` (optionally paced to `ratePerSec`), and reports counts and latencies.
 * Each lane is one keep-alive connection of bench/_http.ts's client (not fetch(): see there why).
 */
import { HttpConnection } from "./_http.ts";

export interface LoadRequest {
  url: string;
  /** POST (default, with the template as body) or GET (no body). */
  method?: "GET" | "POST";
  headers: Record<string, string>;
  /** Body of request i is makeBody(i) = template with `#N#` replaced by i. */
  template: string;
  concurrency: number;
  durationMs: number;
  ratePerSec?: number;
  /** Stop after this many requests (end-to-end runs). */
  maxRequests?: number;
  /**
   * Run this long first without counting (default 0): opening 50 connections at once and the first
   * requests' JIT warm-up are not what a steady rate or a p99 is about (bench mcp warms up the same way).
   */
  warmupMs?: number;
}

export interface LoadResult {
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  latenciesMs: number[];
  /** This Worker thread's CPU time over the whole run (warm-up included), µs; 0 where /proc is missing. */
  cpuUs: number;
}

/** This thread's CPU time, µs (utime + stime of /proc/thread-self/stat). */
function threadCpuUs(): number {
  try {
    const f = Deno.readTextFileSync("/proc/thread-self/stat").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return 0;
  }
}

self.onmessage = async (e: MessageEvent<LoadRequest>) => {
  const r = e.data;
  const cpu0 = threadCpuUs();
  const started = performance.now();
  const counted = started + (r.warmupMs ?? 0);
  const until = counted + r.durationMs;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const interval = r.ratePerSec ? 1000 / r.ratePerSec : 0;
  const url = new URL(r.url);
  const path = url.pathname + url.search;
  async function lane() {
    const conn = new HttpConnection(url);
    while (performance.now() < until && (r.maxRequests === undefined || sent < r.maxRequests)) {
      const i = sent++;
      if (interval) {
        const due = started + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        if (performance.now() >= until) break;
      }
      const t0 = performance.now();
      let status: string;
      try {
        status = String(
          (await (r.method === "GET"
            ? conn.request("GET", path, r.headers)
            : conn.request("POST", path, r.headers, r.template.replaceAll("#N#", String(i))))).status,
        );
      } catch {
        status = "error";
      }
      if (t0 < counted) continue;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === "200") ok++;
      else failed++;
      latencies.push(performance.now() - t0);
    }
    conn.close();
  }
  await Promise.all(Array.from({ length: r.concurrency }, lane));
  const result: LoadResult = {
    ok,
    failed,
    statuses,
    elapsedMs: performance.now() - counted,
    latenciesMs: latencies,
    cpuUs: threadCpuUs() - cpu0,
  };
  self.postMessage(result);
};
