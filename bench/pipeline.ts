/**
 * `deno task bench pipeline [events] [backlog]`: delivery throughput end to end (events sent to `/v1/batch`
 * in batches of 100 until every one has landed) on a PostgreSQL store, next to a raw multi-row INSERT of
 * the same rows (1000 a statement, 4 connections) in the same run:
 * - PostgreSQL warehouse, batch mode (batchSize 1000), no function; the same with one function; after each,
 *   what bounds it: the same events on a fresh stream sent with the pipeline stopped (ingest alone), then
 *   drained (delivery alone), each phase's CPU per event and cores busy (this bench's and the machine's),
 *   and the share of raw ingest then delivery one after the other would give, by rate and by CPU, and with
 *   delivery as cheap as the raw INSERT;
 * - webhook, stream mode, to a local receiver answering at once;
 * - two connections (webhook + warehouse) on one stream: each one's rate;
 * - RSS of this process (server, pipeline and load generator) while a backlog of `backlog` events drains;
 * - fairness: workspace A's ingest-to-delivery p50/p99 alone, then while workspace B's webhook answers
 *   after 10 s, then while B's function loops until its time limit.
 * Targets (docs/performance.md): warehouse batch >= 50% of raw, with a function >= 35%, webhook >= 10,000
 * events/s, each of two connections >= 60% of its single rate, RSS < 300 MB, A's p99 within 2x of
 * alone. Figures only, no assertions (STYLE.md); the load generator shares the 2 cores. Next to each rate,
 * the CPU time of the whole process per event (steadier than rates on a shared machine). The webhook receiver
 * runs in a Worker (bench/_receiver_worker.ts). BENCH_ONLY=throughput|webhook|warehouse|function|backlog|fairness
 * runs one part (`function`: the warehouse run with one function alone); PIPELINE_BATCH_SIZE,
 * PIPELINE_CONCURRENCY, PIPELINE_WORKERS_BENCH and PER_LANE_BENCH change the pipeline's sizes.
 */
import { cpuUsage } from "node:process";
import { openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import type { Deps } from "../src/deps.ts";
import type { Db } from "../src/store/db.ts";
import {
  type CpuSplit,
  type CpuUs,
  type MachineCpu,
  perEvent,
  startCpuSplit,
  startMachineCpu,
} from "./_cpu_split.ts";
import { createLogger } from "../src/log.ts";
import { Pipeline } from "../src/pipeline/pipeline.ts";
import { startServer } from "../src/server.ts";
import {
  BATCH,
  EVENT,
  freshPostgres,
  load,
  pct,
  rawMultiRow,
  Receiver,
  warehouseSchema,
  workspace,
} from "./_pipeline_world.ts";

const N = Number(Deno.args[0] ?? 20_000);
const BACKLOG = Number(Deno.args[1] ?? 200_000);
const TAG_FN = `export default function (event) { return { ...event, tagged: "yes" }; }`;
const LOOP_FN = `export default function (event) { while (true) {} }`;
/** The warehouse connections' options: batch mode, 1000 rows a batch. */
const WH_OPTS = { mode: "batch", batchSize: 1000, frequency: 1 };

interface Target {
  label: string;
  landed(): number | Promise<number>;
}

/**
 * POLL_MS_BENCH: how often an idle claim loop looks at the queue; by default the server's (1 s: NOTIFY and
 * freed lanes wake the loops first). Until 2026-12-07 the bench polled every 20 ms: with a full lane each
 * poll is a claim that walks every queued row of its stream and finds none (up to 100 a second with two
 * loops), which the server never does, and the polls hid wake-ups the pipeline missed.
 */
const pollMs = () => Deno.env.get("POLL_MS_BENCH") ? { pollMs: Number(Deno.env.get("POLL_MS_BENCH")) } : {};
/** PER_LANE_BENCH: chunks of one lane at once (the Pipeline option `perLane`; default 2). */
const perLane = () =>
  Deno.env.get("PER_LANE_BENCH") ? { perLane: Number(Deno.env.get("PER_LANE_BENCH")) } : {};

const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(8);

async function sendAll(baseUrl: string, key: string, n: number) {
  return await load({
    url: `${baseUrl}/v1/batch`,
    headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${key}:`)}` },
    template: BATCH,
    concurrency: 4,
    durationMs: 600_000,
    maxRequests: n / 100,
  });
}

/** CPU time of this process (all threads: server, pipeline, receiver, load generator) per event, µs. */
const cpuNotes: string[] = [];

/** Set by the main block: what the CPU split of each run reads (bench/_cpu_split.ts). */
let splitOf: { db: Db; rx: Receiver } | null = null;
/** The CPU split of each run, printed after the rates. */
const splitNotes: string[] = [];

/** Sends `n` events and times, per target, until all of them landed; events/s per target. */
async function endToEnd(baseUrl: string, key: string, n: number, targets: Target[]): Promise<number[]> {
  const split = splitOf ? await startCpuSplit(splitOf.db, () => splitOf!.rx.cpuUs) : null;
  const machine = startMachineCpu();
  const c0 = cpuUsage();
  const t0 = performance.now();
  const sending = sendAll(baseUrl, key, n);
  const done: number[] = targets.map(() => NaN);
  while (done.some((d) => Number.isNaN(d)) && performance.now() - t0 < 600_000) {
    for (const [i, t] of targets.entries()) {
      if (Number.isNaN(done[i]) && await t.landed() >= n) done[i] = (performance.now() - t0) / 1000;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const wall = (performance.now() - t0) * 1000;
  const m = machine.end();
  const { cpuUs: loadGen } = await sending;
  const c = cpuUsage(c0);
  cpuNotes.push(`${((c.user + c.system) / n).toFixed(0)} µs CPU/event`);
  // The receiver reports its CPU every 100 ms.
  await new Promise((r) => setTimeout(r, 120));
  if (split) {
    const cpu = await split.read();
    splitNotes.push(`${targets.map((t) => t.label).join(" + ")}: ${perEvent(cpu, n)}`);
    // Cores busy over the run itself, not the wait for the receiver's report.
    lastEndToEnd = { rate: n / (wall / 1e6), cpu: { ...cpu, wall }, machine: m, loadGen };
  }
  return done.map((s) => n / s);
}

/** The last end-to-end run as a phase (its CPU and cores busy), for the bound lines. */
let lastEndToEnd: Phase | null = null;

/** Stops the pipeline (ingest alone) and starts a new one; set up by the main block. */
interface PipelineSwitch {
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A timed phase: its rate, its CPU (bench/_cpu_split.ts) and the machine's busy cores meanwhile. */
interface Phase {
  rate: number;
  cpu: CpuUs;
  machine: MachineCpu;
  /** Of `cpu.rest`, the load generator's Worker thread (ingest), µs. */
  loadGen: number;
}

/** Times `run`, which may return the load generator's CPU µs (bench/_ingest_load.ts). */
async function phase(db: Db, n: number, run: () => Promise<number | void>): Promise<Phase> {
  const split = await startCpuSplit(db, () => splitOf?.rx.cpuUs ?? 0);
  const machine = startMachineCpu();
  const t0 = performance.now();
  const loadGen = await run() ?? 0;
  const sec = (performance.now() - t0) / 1000;
  return { rate: n / sec, machine: machine.end(), cpu: await split.read(), loadGen };
}

/**
 * What bounds a warehouse run: the same `n` events on a fresh stream and schema, sent with the pipeline
 * stopped (ingest alone: HTTP, the queue rows and Live Events entries written), then drained by a new
 * pipeline (delivery alone: claims, payloads, the warehouse's mapping and insert, the queue's commits) until
 * all landed. The pipeline runs on afterwards.
 */
async function ingestThenDrain(
  deps: Deps,
  baseUrl: string,
  pipe: PipelineSwitch,
  n: number,
  fn: string | undefined,
): Promise<{ ingest: Phase; drain: Phase }> {
  const ws = await workspace(deps, "bound");
  const wh = await warehouseSchema();
  const stream = await ws.add("stream", { name: "s" });
  const dest = await ws.add("destination", { name: "pg", destinationType: "postgres", ...wh.credentials });
  await ws.connect(stream.id, dest.id, WH_OPTS, fn);
  await pipe.stop();
  await deps.db.query("checkpoint");
  const ingest = await phase(deps.db, n, async () => (await sendAll(baseUrl, stream.writeKey!, n)).cpuUs);
  const drain = await phase(deps.db, n, async () => {
    await pipe.start();
    const t0 = performance.now();
    while (await wh.rows() < n && performance.now() - t0 < 600_000) {
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  await wh.drop();
  return { ingest, drain };
}

/** CPU µs per event of a phase: this process (all threads) and its sandbox runners, and PostgreSQL. */
const cpuOf = (p: Phase, n: number) =>
  (p.cpu.main + p.cpu.receiver + p.cpu.rest + p.cpu.children + p.cpu.postgres + p.cpu.warehouse) / n;

/** One line per phase: rate, CPU per event by where it went, cores busy (this bench's and the machine's). */
function phaseLine(label: string, p: Phase, n: number, unit = "events/s"): string {
  const per = (us: number) => (us / n).toFixed(0);
  const m = p.machine;
  return `${label.padEnd(34)}${fmt(p.rate)} ${unit.padEnd(8)} CPU µs/event: main ${per(p.cpu.main)}, ${
    p.loadGen ? `load generator ${per(p.loadGen)}, ` : ""
  }rest ${per(p.cpu.rest + p.cpu.receiver - p.loadGen)}${
    p.cpu.children ? `, sandbox ${per(p.cpu.children)}` : ""
  }, PostgreSQL ${per(p.cpu.postgres)} + warehouse ${per(p.cpu.warehouse)} = ${
    cpuOf(p, n).toFixed(0)
  }; cores busy: bench ${((cpuOf(p, n) * n) / p.cpu.wall).toFixed(2)}, machine ${
    m.busy.toFixed(2)
  } of ${m.cores} (iowait ${m.iowait.toFixed(2)}${m.steal >= 0.05 ? `, steal ${m.steal.toFixed(2)}` : ""})`;
}

/** The bound lines of one warehouse run (see the comments for what each figure means). */
function printBound(
  label: string,
  b: { ingest: Phase; drain: Phase },
  raw: Phase,
  endToEnd: Phase,
  n: number,
) {
  const share = (r: number) => `${Math.round((r / raw.rate) * 100)}% of raw`;
  // The end-to-end run above (its rate until the last row landed), then the two phases of the bound runs.
  console.log(phaseLine(`${label}: end to end (above)`, endToEnd, n));
  console.log(phaseLine(`${label}: ingest alone`, b.ingest, n));
  console.log(phaseLine(`${label}: delivery alone`, b.drain, n));
  // Ingest and delivery one after the other, each at its measured rate: what end to end gives when they
  // cannot overlap (the cores busy with one phase have nothing left for the other). Then the same by CPU:
  // when the raw INSERT and the pipeline both keep every core busy, their rates go as the inverse of their
  // CPU an event, so the share of raw is the raw INSERT's CPU a row over ingest's and delivery's an event
  // (steady under other load, where rates are not; PostgreSQL's background processes are left out). Last,
  // the ceiling of a pipeline that kept every core busy: the cores over its CPU an event (the raw INSERT
  // keeps fewer busy: on a quiet machine, compare this with the raw rate rather than the CPU share).
  const serial = 1 / (1 / b.ingest.rate + 1 / b.drain.rate);
  const [ingestUs, drainUs, rawUs] = [cpuOf(b.ingest, n), cpuOf(b.drain, n), cpuOf(raw, n)];
  const cores = raw.machine.cores;
  const byCpu = (us: number) =>
    `by CPU, raw ${rawUs.toFixed(0)} µs / (ingest ${ingestUs.toFixed(0)} + ${us.toFixed(0)} µs) = ${
      Math.round((rawUs / (ingestUs + us)) * 100)
    }% of raw; ${cores} full cores: ${fmt((cores * 1e6) / (ingestUs + us)).trim()} events/s`;
  console.log(
    `${label}: one after the other, 1/(1/ingest + 1/delivery) = ${fmt(serial).trim()} events/s, ${
      share(serial)
    } (end to end: ${share(endToEnd.rate)}); ${byCpu(drainUs)}`,
  );
  // The same with delivery as cheap as the raw INSERT of the same rows (its rate; its CPU a row): the best a
  // durable ingest followed by a warehouse write could give.
  const best = 1 / (1 / b.ingest.rate + 1 / raw.rate);
  console.log(
    `${label}: delivery as cheap as raw, 1/(1/ingest + 1/raw) = ${fmt(best).trim()} events/s, ${
      share(best)
    }; ${byCpu(rawUs)}`,
  );
}

async function throughput(deps: Deps, baseUrl: string, rx: Receiver, pipe: PipelineSwitch) {
  // The raw INSERT's timed part is read as a phase too (its CPU and cores busy) for the bound below.
  const rawTimed = {
    split: null as CpuSplit | null,
    machine: null as ReturnType<typeof startMachineCpu> | null,
    phase: null as Phase | null,
  };
  const rawRate = await rawMultiRow(N, {
    async start() {
      rawTimed.split = await startCpuSplit(deps.db, () => 0);
      rawTimed.machine = startMachineCpu();
    },
    async end() {
      const machine = rawTimed.machine!.end();
      rawTimed.phase = { rate: 0, machine, cpu: await rawTimed.split!.read(), loadGen: 0 };
    },
  });
  const raw: Phase = { ...rawTimed.phase!, rate: rawRate };
  const rows: [string, number, string, string?][] = [];
  const share = (r: number) => `${Math.round((r / rawRate) * 100)}% of raw`;
  const bounds: { label: string; b: { ingest: Phase; drain: Phase }; e2e: Phase }[] = [];
  // BENCH_ONLY=webhook: the webhook and two-connection runs only (the warehouse figures then read 0);
  // BENCH_ONLY=warehouse: the warehouse run without a function only; BENCH_ONLY=function: with one only.
  const only = Deno.env.get("BENCH_ONLY");
  const warehouseRuns = only === "webhook"
    ? []
    : only === "warehouse"
    ? [undefined]
    : only === "function"
    ? [TAG_FN]
    : [undefined, TAG_FN];
  if (warehouseRuns.length === 0) rows.push(["warehouse batch (1000), not run", 0, ""]);
  for (const fn of warehouseRuns) {
    const ws = await workspace(deps, "warehouse");
    const wh = await warehouseSchema();
    const stream = await ws.add("stream", { name: "s" });
    const dest = await ws.add("destination", { name: "pg", destinationType: "postgres", ...wh.credentials });
    await ws.connect(stream.id, dest.id, WH_OPTS, fn);
    await deps.db.query("checkpoint");
    const [r] = await endToEnd(baseUrl, stream.writeKey!, N, [{ label: "wh", landed: () => wh.rows() }]);
    rows.push([
      `warehouse batch (1000)${fn ? ", one function" : ", no function"}`,
      r,
      share(r),
      cpuNotes.at(-1),
    ]);
    await wh.drop();
    const label = fn ? "one function" : "no function";
    const e2e = { ...lastEndToEnd!, rate: r };
    bounds.push({ label, b: await ingestThenDrain(deps, baseUrl, pipe, N, fn), e2e });
  }
  // The bound of each warehouse run, printed after the rates.
  const printBounds = () => {
    if (bounds.length === 0) return;
    console.log(
      `\n== what bounds the warehouse share: the same ${N} events on a fresh stream, sent with the pipeline ` +
        `stopped (ingest alone), then drained (delivery alone) ==`,
    );
    // CPU µs an event: the main thread (server, pipeline, drivers), the rest of the process (load generator,
    // helper threads), PostgreSQL's backends of the Sluice database + of the warehouse connections. Cores
    // busy: this bench's (those, over the phase's wall time) and the whole machine's from /proc/stat (other
    // processes included): near the core count, the phase had no idle CPU for the other to use.
    console.log(phaseLine("raw multi-row INSERT (timed part)", raw, N, "rows/s"));
    for (const { label, b, e2e } of bounds) printBound(label, b, raw, e2e, N);
  };
  if (only === "warehouse" || only === "function") {
    console.log(
      `raw ${fmt(rawRate)} rows/s; ${rows[0][0]} ${fmt(rows[0][1])} events/s, ${rows[0][2]}, ${rows[0][3]}`,
    );
    for (const note of splitNotes) console.log(`  ${note}`);
    printBounds();
    return;
  }
  const ws = await workspace(deps, "webhook");
  const stream = await ws.add("stream", { name: "s" });
  const hook = await ws.add("destination", { name: "hook", destinationType: "webhook", url: rx.url("/one") });
  await ws.connect(stream.id, hook.id);
  await deps.db.query("checkpoint");
  const [hookRate] = await endToEnd(baseUrl, stream.writeKey!, N, [{
    label: "hook",
    landed: () => rx.count("/one"),
  }]);
  rows.push(["webhook stream, no function", hookRate, share(hookRate), cpuNotes.at(-1)]);

  const both = await ws.add("stream", { name: "both" });
  const hook2 = await ws.add("destination", {
    name: "hook2",
    destinationType: "webhook",
    url: rx.url("/two"),
  });
  const wh = await warehouseSchema();
  const pg = await ws.add("destination", { name: "pg", destinationType: "postgres", ...wh.credentials });
  await ws.connect(both.id, hook2.id);
  await ws.connect(both.id, pg.id, WH_OPTS);
  await deps.db.query("checkpoint");
  const [h2, w2] = await endToEnd(baseUrl, both.writeKey!, N, [
    { label: "hook", landed: () => rx.count("/two") },
    { label: "wh", landed: () => wh.rows() },
  ]);
  await wh.drop();
  rows.push([
    "two connections: the webhook",
    h2,
    `${Math.round((h2 / hookRate) * 100)}% of its single rate`,
    cpuNotes.at(-1),
  ]);
  rows.push([
    "two connections: the warehouse",
    w2,
    `${Math.round((w2 / rows[0][1]) * 100)}% of its single rate`,
    cpuNotes.at(-1),
  ]);
  console.log(`\n== delivery throughput, ${N} events end to end (PostgreSQL store) ==`);
  console.log(`${"raw multi-row INSERT (1000 a statement, 4 connections)".padEnd(56)}${fmt(rawRate)} rows/s`);
  for (const [label, r, note, cpu] of rows) {
    console.log(`${label.padEnd(56)}${fmt(r)} events/s  ${note.padEnd(26)} ${cpu ?? ""}`);
  }
  console.log(
    `CPU per event by thread and process (load average ${
      Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")
    }):`,
  );
  for (const note of splitNotes) console.log(`  ${note}`);
  printBounds();
}

async function backlog(deps: Deps, baseUrl: string, rx: Receiver, workers: number) {
  const ws = await workspace(deps, "backlog");
  const stream = await ws.add("stream", { name: "s" });
  const hook = await ws.add("destination", {
    name: "hook",
    destinationType: "webhook",
    url: rx.url("/backlog"),
  });
  await ws.connect(stream.id, hook.id);
  const fillSplit = splitOf ? await startCpuSplit(splitOf.db, () => splitOf!.rx.cpuUs) : null;
  const f0 = performance.now();
  await sendAll(baseUrl, stream.writeKey!, BACKLOG);
  const fillSec = (performance.now() - f0) / 1000;
  const fillCpu = await fillSplit?.end(BACKLOG);
  const pipeline = new Pipeline(deps, { workers, ...perLane(), ...pollMs() });
  const gc = (globalThis as { gc?: () => void }).gc; // deno run --v8-flags=--expose-gc
  gc?.();
  let peak = Deno.memoryUsage().rss;
  let heap = Deno.memoryUsage().heapUsed;
  const before = peak;
  const drainSplit = splitOf ? await startCpuSplit(splitOf.db, () => splitOf!.rx.cpuUs) : null;
  const t0 = performance.now();
  await pipeline.start();
  while (rx.count("/backlog") < BACKLOG && performance.now() - t0 < 1_200_000) {
    const m = Deno.memoryUsage();
    peak = Math.max(peak, m.rss);
    heap = Math.max(heap, m.heapUsed);
    await new Promise((r) => setTimeout(r, 100));
  }
  const sec = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 120));
  const drainCpu = await drainSplit?.end(BACKLOG);
  gc?.();
  const after = Deno.memoryUsage().heapUsed;
  const snap = Deno.env.get("HEAP_SNAPSHOT");
  if (snap) (await import("node:v8")).default.writeHeapSnapshot(snap);
  console.log(
    `\n== backlog of ${BACKLOG} events (filled in ${fillSec.toFixed(0)} s with the pipeline off) ==`,
  );
  console.log(
    `drained in ${sec.toFixed(1)} s (${fmt(BACKLOG / sec).trim()} events/s); RSS of the whole process ` +
      `${(before / 2 ** 20).toFixed(0)} MB before, ${
        (peak / 2 ** 20).toFixed(0)
      } MB at most while draining ` +
      `(V8 heap in use at most ${(heap / 2 ** 20).toFixed(0)} MB${
        gc ? `, ${(after / 2 ** 20).toFixed(0)} MB after a full GC once drained` : ""
      })`,
  );
  // Ingest alone, then delivery alone: what each costs the server and PostgreSQL.
  if (fillCpu) console.log(`CPU while filling (ingest only): ${fillCpu}`);
  if (drainCpu) console.log(`CPU while draining (delivery only): ${drainCpu}`);
  return pipeline;
}

async function fairness(deps: Deps, baseUrl: string, rx: Receiver) {
  const add = async (name: string, path: string, fn?: string) => {
    const ws = await workspace(deps, name);
    const s = await ws.add("stream", { name: "s" });
    const d = await ws.add("destination", {
      name: "hook",
      destinationType: "webhook",
      url: rx.url(path),
      timeoutMs: 60_000,
    });
    await ws.connect(s.id, d.id, {}, fn);
    return s.writeKey!;
  };
  const a = await add("A", "/a");
  const bSlow = await add("B slow webhook", "/b-slow");
  const bLoop = await add("B looping function", "/b-loop", LOOP_FN);
  rx.slow.set("/b-slow", 10_000);
  rx.sync();
  const steady = (key: string, ms: number) =>
    load({
      url: `${baseUrl}/api/s/s2s/track`,
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${key}:`)}` },
      template: EVENT,
      concurrency: 10,
      durationMs: ms,
      ratePerSec: 200,
    });
  const phase = async (label: string, other: string | null) => {
    rx.latencies.set("/a", []);
    const before = rx.count("/a");
    const [sent] = await Promise.all([steady(a, 6000), other ? steady(other, 6000) : null]);
    const t0 = performance.now();
    while (rx.count("/a") - before < sent.ok && performance.now() - t0 < 120_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const l = rx.latencies.get("/a")!;
    console.log(
      `${label.padEnd(44)} A: ${l.length} events, p50 ${pct(l, 50)} ms, p99 ${pct(l, 99)} ms`,
    );
    return pct(l, 99);
  };
  console.log(`\n== fairness: workspace A at 200 events/s, ingest-to-delivery latency ==`);
  const alone = await phase("A alone", null);
  const slow = await phase("B's webhook answers after 10 s (200/s)", bSlow);
  rx.slow.delete("/b-slow");
  rx.sync();
  const loop = await phase("B's function loops to its limit (200/s)", bLoop);
  console.log(
    `A's p99 vs alone: ${(slow / alone).toFixed(1)}x with B's slow webhook, ${
      (loop / alone).toFixed(1)
    }x with B's looping function (target: within 2x)`,
  );
}

if (import.meta.main) {
  const store = await freshPostgres();
  const config = loadConfig({
    LOG_LEVEL: "error",
    PIPELINE_WORKERS: "0",
    QUEUE_MAX_DEPTH: "1000000000",
    SLUICE_PEPPER: "bench-pepper-0123456789abcdef",
    ...Object.fromEntries(
      ["PIPELINE_BATCH_SIZE", "PIPELINE_CONCURRENCY"].flatMap((k) =>
        Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : []
      ),
    ),
  });
  const deps = await openDeps(config, { db: store.db, log: createLogger({ level: "error" }) });
  const server = await startServer(deps, { port: 0, hostname: "127.0.0.1" });
  const rx = await Receiver.start();
  splitOf = { db: store.db, rx };
  const workers = Number(Deno.env.get("PIPELINE_WORKERS_BENCH") ?? 2);
  console.log(
    `pipeline bench: batch size ${config.pipelineBatchSize}, concurrency ${config.pipelineConcurrency}, ` +
      `${workers} claim loops`,
  );
  let pipeline = new Pipeline(deps, { workers, ...perLane(), ...pollMs() });
  await pipeline.start();
  const pipe: PipelineSwitch = {
    stop: () => pipeline.stop(),
    async start() {
      pipeline = new Pipeline(deps, { workers, ...perLane(), ...pollMs() });
      await pipeline.start();
    },
  };
  try {
    const only = Deno.env.get("BENCH_ONLY");
    if (!only || ["throughput", "webhook", "warehouse", "function"].includes(only)) {
      await throughput(deps, server.url, rx, pipe);
    }
    await pipeline.stop();
    if (!only || only === "backlog") pipeline = await backlog(deps, server.url, rx, workers);
    else {
      pipeline = new Pipeline(deps, { workers, ...perLane(), ...pollMs() });
      await pipeline.start();
    }
    if (!only || only === "fairness") await fairness(deps, server.url, rx);
  } finally {
    // B's looping chains may still be running: do not wait for them.
    await Promise.race([pipeline.stop(), new Promise((r) => setTimeout(r, 5000))]);
    await rx.close();
    await store.drop().catch(() => {});
  }
  Deno.exit(0);
}
