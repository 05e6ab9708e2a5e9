/**
 * Entry of a Functions runner process (one per workspace, started by runner_process.ts). It holds no
 * permissions but reading the sandbox folder, runs a V8 heap limit set by the host, and runs user code
 * in a Worker with `permissions: "none"`.
 *
 * Batches: the host sends one chain with many events; the runner hands the whole batch to the worker in
 * one message, the worker runs the events in order and reports each as it finishes, and the runner
 * forwards the outcomes to the host in groups (at the end of a batch, and every few milliseconds while
 * one runs, so the events finished before a crash are never lost).
 *
 * Time limit: each function call on each event gets the call limit. The worker enforces it for calls
 * that wait (a timer, a fetch). A call that never yields (`while(true){}`) blocks the worker: the runner
 * sees no event finish within the limit times the chain's length (plus a grace), asks the worker for a
 * sign of life, and without one terminates it (the only way to stop such a loop). The call that started
 * last (the worker writes each start to memory it shares with the runner) gets the TimeoutError; the other unfinished events (of every batch in that worker) run again in a
 * fresh worker; an event interrupted twice (the first unfinished one of its batch: a batch runs its
 * events in order) fails.
 *
 * Frames: JSON lines on stdin from the host; JSON lines on stdout prefixed with a token only the host
 * and this process know, so anything user code prints cannot pass for a reply.
 */
import { timeoutOutcome } from "./chain.ts";
import {
  type ChainFunctionRef,
  type ChainOutcome,
  type HostMessage,
  LineSplitter,
  type RunnerMessage,
  type WorkerReply,
  type WorkerRequest,
} from "./protocol.ts";

export { RUNNER_COMMAND } from "./runner_command.ts";

const COMMA = 0x2c;
/** Extra wait past the limit before a silent worker counts as stuck, ms. */
const STUCK_GRACE_MS = 150;
/** How often the runner looks for batches without progress, ms. */
const SWEEP_MS = 25;
/** How long a finished event's outcome may wait before it is sent to the host, ms. */
const FLUSH_MS = 10;
/** Times an event may be interrupted by others' overruns before it fails. */
const MAX_ATTEMPTS = 2;
/**
 * A busy worker is pinged this often; one that leaves a ping unanswered while the same call runs for
 * HOT_MS runs code that never yields (it spins a core): the host is told at once, without waiting for
 * the call's time limit. (A batch of many quick events may not answer for a while either, but its
 * current call changes.)
 */
const HOT_PING_MS = 200;
const HOT_MS = 1000;

interface Batch {
  id: number;
  functions: Required<ChainFunctionRef>[];
  timeoutMs: number;
  /** The host's text of the events (protocol.ts batchItemsJson), handed to the worker unparsed. */
  itemsJson: string;
  /** Unfinished events by index, in run order, with how many times each was started. */
  left: Map<number, { attempts: number }>;
  /** Dispatched before: the next dispatch sends only the unfinished events. */
  dispatched: boolean;
  /** Outcomes not yet sent to the host: UTF-8 of comma-separated `[index,outcome]` pairs. */
  results: Uint8Array[];
  gen: number;
  /** When the event now running started (ms), or null while the clock is stopped. */
  since: number | null;
  /** A ping about this batch is out. */
  pinging: boolean;
}

/**
 * Where a runner reads the host's frames and writes its own. A runner process uses its stdin, stdout and
 * `Deno.exit`; the in-process backend (in_process_runner.ts, Deno Deploy) hands in streams of its own.
 */
export interface RunnerIo {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  exit(code: number): void;
}

function processIo(): RunnerIo {
  return { readable: Deno.stdin.readable, writable: Deno.stdout.writable, exit: (code) => Deno.exit(code) };
}

/** Runs the runner loop until its input closes. `args[0]` is the frame token. */
export async function runSandboxRunner(args: string[], io: RunnerIo = processIo()): Promise<void> {
  const token = args[0] ?? "";
  const enc = new TextEncoder();
  const out = io.writable.getWriter();
  const codes = new Map<string, string>();
  const batches = new Map<number, Batch>();
  // Bridge ids towards the host are the runner's own, so a late reply for a terminated worker cannot
  // reach its replacement.
  let nextBid = 1;
  const bids = new Map<number, { gen: number; workerBid: number }>();
  let gen = 0;
  let worker: Worker | null = null;
  // Batches wait for a starting worker without their clock running (starting takes long on a busy host).
  let workerReady = false;
  let started = new Int32Array(new SharedArrayBuffer(8));
  let flushTimer: ReturnType<typeof setTimeout> | null = null;

  function writeLine(text: string) {
    out.write(enc.encode(token + text + "\n")).catch(() => io.exit(0));
  }

  function send(msg: RunnerMessage) {
    writeLine(JSON.stringify(msg));
  }

  // The outcomes are UTF-8 JSON already (the worker's bytes): spliced into the line as they are, never
  // decoded, parsed or serialised here.
  function flush(b: Batch) {
    if (b.results.length === 0) return;
    const head = enc.encode(`${token}{"t":"done","id":${b.id},"results":[`);
    const tail = enc.encode("]}\n");
    let size = head.length + tail.length + b.results.length - 1;
    for (const r of b.results) size += r.length;
    const line = new Uint8Array(size);
    line.set(head);
    let at = head.length;
    for (let k = 0; k < b.results.length; k++) {
      if (k > 0) line[at++] = COMMA;
      line.set(b.results[k], at);
      at += b.results[k].length;
    }
    line.set(tail, at);
    b.results = [];
    out.write(line).catch(() => io.exit(0));
  }

  function flushAll() {
    flushTimer = null;
    for (const b of batches.values()) flush(b);
  }

  function startWorker(): Worker {
    gen++;
    const myGen = gen;
    const w = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: `sluice-functions-${myGen}`,
      deno: { permissions: "none" },
    });
    workerReady = false;
    w.onmessage = (e: MessageEvent<WorkerReply>) => onWorker(myGen, e.data);
    w.onerror = (e) => e.preventDefault();
    started = new Int32Array(new SharedArrayBuffer(8));
    started[0] = -1;
    w.postMessage({ t: "init", started: started.buffer as SharedArrayBuffer } satisfies WorkerRequest);
    return w;
  }

  function dispatch(b: Batch) {
    worker ??= startWorker();
    b.gen = gen;
    progressed(b);
    const msg: WorkerRequest = {
      t: "run",
      id: b.id,
      functions: b.functions,
      itemsJson: b.itemsJson,
      timeoutMs: b.timeoutMs,
    };
    // Again (in a fresh worker): the same text, and which of its events are still to run.
    if (b.dispatched) msg.only = [...b.left.keys()];
    b.dispatched = true;
    worker.postMessage(msg);
  }

  // The next event of `b` starts now: restart its no-progress clock. (One sweep timer checks every
  // clock: a timer per event cost more than the events themselves.)
  function progressed(b: Batch) {
    b.since = workerReady ? Date.now() : null;
    sweeper ??= setInterval(sweep, SWEEP_MS);
  }

  let sweeper: ReturnType<typeof setInterval> | null = null;

  let pingSeq = 0;
  const pongs = new Map<number, () => void>();
  // The liveness ping out to the current worker, if any.
  let hot: { gen: number; at: number; told: boolean; batch: number; item: number } | null = null;
  let lastHotPing = 0;

  function checkHot(now: number) {
    if (!worker || !workerReady || batches.size === 0) return;
    const batch = Atomics.load(started, 0);
    const item = Atomics.load(started, 1);
    if (hot?.gen === gen) {
      if (hot.batch !== batch || hot.item !== item) {
        // Another call started since: the worker is making progress, only not through its event loop.
        Object.assign(hot, { at: now, batch, item });
      } else if (!hot.told && now - hot.at > HOT_MS) {
        hot.told = true;
        if (batches.has(batch)) send({ t: "hot", id: batch });
      }
      return;
    }
    if (now - lastHotPing < HOT_PING_MS) return;
    const n = ++pingSeq;
    const mine = { gen, at: now, told: false, batch, item };
    hot = mine;
    lastHotPing = now;
    pongs.set(n, () => {
      pongs.delete(n);
      if (hot === mine) hot = null;
    });
    worker.postMessage({ t: "ping", n } satisfies WorkerRequest);
  }

  function sweep() {
    const now = Date.now();
    checkHot(now);
    for (const b of batches.values()) {
      if (b.since === null || b.pinging || b.gen !== gen) continue;
      if (now - b.since > b.timeoutMs * Math.max(1, b.functions.length) + STUCK_GRACE_MS) onSilent(b);
    }
    if (batches.size === 0 && sweeper !== null) {
      clearInterval(sweeper);
      sweeper = null;
    }
  }

  const PING_GRACE_MS = 100;

  // No event of `b` finished in time. A responsive worker enforces the limit itself (the call is only
  // waiting), so only a worker that does not answer a ping is stuck.
  function onSilent(b: Batch) {
    if (!worker || b.gen !== gen || !batches.has(b.id)) return;
    const n = ++pingSeq;
    const w = worker;
    b.pinging = true;
    const stuck = setTimeout(() => {
      pongs.delete(n);
      if (worker === w) replaceWorker(true);
    }, PING_GRACE_MS);
    pongs.set(n, () => {
      clearTimeout(stuck);
      b.pinging = false;
      if (batches.has(b.id) && b.gen === gen) progressed(b);
    });
    w.postMessage({ t: "ping", n } satisfies WorkerRequest);
  }

  /** Terminates the worker; `stuck`: the call that started last (it never yielded) gets the TimeoutError. */
  function replaceWorker(stuck: boolean) {
    worker?.terminate();
    worker = null;
    // Pings out to the old worker are never answered.
    pongs.clear();
    hot = null;
    const old = [...batches.values()].filter((b) => b.gen === gen);
    const culprit = stuck ? batches.get(Atomics.load(started, 0)) : undefined;
    const i = Atomics.load(started, 1);
    if (culprit && culprit.gen === gen && culprit.left.has(i)) {
      send({ t: "stuck", id: culprit.id });
      const fn = culprit.functions.length === 1
        ? culprit.functions[0].id
        : culprit.functions.map((f) => f.id).join(", ");
      const what = culprit.functions.length === 1 ? `Function ${fn}` : `Functions ${fn}`;
      finish(
        culprit,
        i,
        timeoutOutcome(
          culprit.functions[0].id,
          `${what} did not finish within ${culprit.timeoutMs} ms and was stopped`,
        ),
      );
    }
    for (const b of old) {
      b.pinging = false;
      // A batch runs its events one after another: only its first unfinished event can have been
      // interrupted (the ones after it never started and keep their attempts).
      const [i, it] = b.left.entries().next().value ?? [-1, null];
      if (it && ++it.attempts > MAX_ATTEMPTS) finish(b, i, interruptedOutcome(b.functions[0]?.id ?? ""));
      if (b.left.size > 0) dispatch(b);
    }
  }

  /** The runner's own outcome for event `i` (a timeout, an interruption). */
  function finish(b: Batch, i: number, outcome: ChainOutcome) {
    if (b.left.has(i)) finished(b, [i], enc.encode(`[${i},${JSON.stringify(outcome)}]`));
  }

  /**
   * Events `indices` of `b` finished with the outcomes in `bytes`. One that had an outcome already (from
   * the runner) may be in there again: the host keeps the first outcome of an event.
   */
  function finished(b: Batch, indices: number[], bytes: Uint8Array) {
    let fresh = false;
    for (const i of indices) if (b.left.delete(i)) fresh = true;
    if (!fresh) return;
    b.results.push(bytes);
    if (b.left.size === 0) {
      batches.delete(b.id);
      flush(b);
    } else flushTimer ??= setTimeout(flushAll, FLUSH_MS);
  }

  function onWorker(fromGen: number, msg: WorkerReply) {
    if (fromGen !== gen) return;
    if (msg.t === "pong") return pongs.get(msg.n)?.();
    if (msg.t === "recycle") return replaceWorker(false);
    if (msg.t === "ready") {
      workerReady = true;
      for (const b of batches.values()) if (b.gen === fromGen) progressed(b);
      return;
    }
    const b = batches.get(msg.id);
    if (!b || b.gen !== fromGen) return;
    if (msg.t === "bridge") {
      const bid = nextBid++;
      bids.set(bid, { gen: fromGen, workerBid: msg.bid });
      send({ t: "bridge", id: msg.id, i: msg.i, bid, op: msg.op, args: msg.args });
    } else if (msg.t === "done") {
      finished(b, msg.indices, msg.bytes);
      if (b.left.size > 0) progressed(b);
    }
  }

  function onHost(msg: HostMessage, itemsJson: string) {
    if (msg.t === "bridge-reply") {
      const b = bids.get(msg.bid);
      bids.delete(msg.bid);
      if (!b || b.gen !== gen || !worker) return;
      const reply: WorkerRequest = { ...msg, bid: b.workerBid };
      worker.postMessage(reply);
      return;
    }
    for (const f of msg.functions) if (f.code !== undefined) codes.set(f.hash, f.code);
    const missing = msg.functions.find((f) => !codes.has(f.hash));
    if (missing) {
      send({ t: "need-code", id: msg.id, hash: missing.hash });
      return;
    }
    const b: Batch = {
      id: msg.id,
      functions: msg.functions.map((f) => ({ id: f.id, hash: f.hash, code: codes.get(f.hash)! })),
      timeoutMs: msg.timeoutMs,
      itemsJson,
      left: new Map(Array.from({ length: msg.n }, (_, i) => [i, { attempts: 1 }])),
      dispatched: false,
      results: [],
      gen,
      since: null,
      pinging: false,
    };
    batches.set(b.id, b);
    dispatch(b);
  }

  send({ t: "ready" });
  const lines = new LineSplitter();
  // A `run` line is followed by its items line.
  let run: HostMessage | null = null;
  const onLine = (line: string) => {
    if (run) {
      const r = run;
      run = null;
      onHost(r, line);
    } else if (line) {
      const msg = JSON.parse(line) as HostMessage;
      if (msg.t === "run") run = msg;
      else onHost(msg, "");
    }
  };
  try {
    for await (const chunk of io.readable.pipeThrough(new TextDecoderStream())) lines.push(chunk, onLine);
  } finally {
    // A process exits below anyway; a runner inside the server must leave no worker or timer behind.
    batches.clear();
    if (sweeper !== null) clearInterval(sweeper);
    if (flushTimer !== null) clearTimeout(flushTimer);
    // (Assigned in callbacks only: without the cast TypeScript takes it for always null here.)
    (worker as Worker | null)?.terminate();
    worker = null;
  }
  // The host closed our input (it stopped or let us go idle): exit now, whatever user code scheduled.
  io.exit(0);
}

function interruptedOutcome(functionId: string): ChainOutcome {
  const message = "the function was interrupted twice by other calls that overran";
  return {
    events: [],
    dropped: true,
    logs: [{ level: "error", type: "log", functionId, message, timestamp: new Date().toISOString() }],
    error: { functionId, name: "SandboxError", message },
    retry: { message, drop: true },
    execLog: [],
  };
}

if (import.meta.main) await runSandboxRunner(Deno.args);
