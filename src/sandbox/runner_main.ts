/**
 * Entry of a Functions runner process (one per workspace, started by sandbox_process.ts). It holds no
 * permissions but reading the sandbox folder, runs a V8 heap limit set by the host, and runs user code
 * in a Worker with `permissions: "none"`. It enforces the per-call time limit: a call that overruns gets
 * its worker terminated (the only way to stop `while(true){}`) and a fresh worker replaces it.
 *
 * Frames: JSON lines on stdin from the host; JSON lines on stdout prefixed with a token only the host
 * and this process know, so anything user code prints cannot pass for a reply.
 */
import type {
  ChainOutcome,
  FunctionLog,
  HostMessage,
  RunnerMessage,
  WorkerReply,
  WorkerRequest,
} from "./protocol.ts";

/** First argument of the compiled binary that starts a runner instead of the CLI (see main.ts). */
export const RUNNER_COMMAND = "__sandbox-runner";

interface RunState {
  timer: ReturnType<typeof setTimeout>;
  functionId: string;
  timeoutMs: number;
  gen: number;
  /** The order in which the current function started, across calls. */
  tickSeq: number;
}

/** Runs the runner loop until stdin closes. `args[0]` is the frame token. */
export async function runSandboxRunner(args: string[]): Promise<void> {
  const token = args[0] ?? "";
  const enc = new TextEncoder();
  const out = Deno.stdout.writable.getWriter();
  const codes = new Map<string, string>();
  const runs = new Map<number, RunState>();
  // Bridge ids towards the host are the runner's own, so a late reply for a terminated worker cannot
  // reach its replacement.
  let nextBid = 1;
  const bids = new Map<number, { gen: number; workerBid: number }>();
  let gen = 0;
  let worker: Worker | null = null;

  function send(msg: RunnerMessage) {
    out.write(enc.encode(token + JSON.stringify(msg) + "\n")).catch(() => Deno.exit(0));
  }

  function startWorker(): Worker {
    gen++;
    const myGen = gen;
    const w = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: `sluice-functions-${myGen}`,
      deno: { permissions: "none" },
    });
    w.onmessage = (e: MessageEvent<WorkerReply>) => onWorker(myGen, e.data);
    w.onerror = (e) => e.preventDefault();
    return w;
  }

  function ensureWorker(): Worker {
    worker ??= startWorker();
    return worker;
  }

  let tickSeq = 0;

  function arm(id: number, state: RunState) {
    state.tickSeq = ++tickSeq;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => onTimeout(id), state.timeoutMs);
  }

  // A call overran. Ask the worker whether it is still responsive: if it answers, the call is merely
  // slow (awaiting something) and fails alone. If it does not, it is stuck in a loop: terminate it (the
  // only way to stop `while(true){}`) and start a fresh one. Several calls share the worker and the
  // stuck one blocks the rest: blame the call that started a function last (a blocked worker starts
  // nothing after the culprit) and let the host run the others again.
  const PING_GRACE_MS = 100;
  let pingSeq = 0;
  const pongs = new Map<number, () => void>();

  function timeoutMessage(s: RunState) {
    return `Function ${s.functionId} did not finish within ${s.timeoutMs} ms and was stopped`;
  }

  function onTimeout(id: number) {
    const state = runs.get(id);
    if (!state || !worker || state.gen !== gen) return;
    const n = ++pingSeq;
    const w = worker;
    const stuck = setTimeout(() => {
      pongs.delete(n);
      if (worker === w) terminateStuck(id);
    }, PING_GRACE_MS);
    pongs.set(n, () => {
      clearTimeout(stuck);
      const s = runs.get(id);
      if (!s) return;
      runs.delete(id);
      send({ t: "done", id, outcome: timeoutOutcome(s.functionId, timeoutMessage(s)) });
    });
    w.postMessage({ t: "ping", n } satisfies WorkerRequest);
  }

  function terminateStuck(id: number) {
    const state = runs.get(id);
    if (!state) return;
    worker?.terminate();
    worker = null;
    let culprit = id;
    for (const [otherId, other] of runs) {
      if (other.gen === state.gen && other.tickSeq > runs.get(culprit)!.tickSeq) culprit = otherId;
    }
    const guilty = runs.get(culprit)!;
    for (const [otherId, other] of runs) {
      if (other.gen !== state.gen) continue;
      clearTimeout(other.timer);
      runs.delete(otherId);
      if (otherId !== culprit) send({ t: "interrupted", id: otherId });
    }
    send({ t: "done", id: culprit, outcome: timeoutOutcome(guilty.functionId, timeoutMessage(guilty)) });
  }

  function onWorker(fromGen: number, msg: WorkerReply) {
    if (fromGen !== gen) return;
    if (msg.t === "pong") return pongs.get(msg.n)?.();
    const state = runs.get(msg.id);
    if (!state) return;
    if (msg.t === "tick") {
      state.functionId = msg.functionId;
      arm(msg.id, state);
    } else if (msg.t === "bridge") {
      const bid = nextBid++;
      bids.set(bid, { gen: fromGen, workerBid: msg.bid });
      send({ t: "bridge", id: msg.id, bid, op: msg.op, args: msg.args });
    } else if (msg.t === "done") {
      clearTimeout(state.timer);
      runs.delete(msg.id);
      send({ t: "done", id: msg.id, outcome: msg.outcome });
    }
  }

  function onHost(msg: HostMessage) {
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
    const w = ensureWorker();
    const state: RunState = {
      timer: undefined as unknown as ReturnType<typeof setTimeout>,
      functionId: msg.functions[0]?.id ?? "",
      timeoutMs: msg.timeoutMs,
      gen,
      tickSeq: 0,
    };
    runs.set(msg.id, state);
    arm(msg.id, state);
    w.postMessage(
      {
        t: "run",
        id: msg.id,
        functions: msg.functions.map((f) => ({ id: f.id, hash: f.hash, code: codes.get(f.hash)! })),
        event: msg.event,
        ctx: msg.ctx,
      } satisfies WorkerRequest,
    );
  }

  send({ t: "ready" });
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buf = "";
  for await (const chunk of lines) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line) onHost(JSON.parse(line) as HostMessage);
    }
  }
  // The host closed our stdin (it stopped or let us go idle): exit now, whatever user code scheduled.
  Deno.exit(0);
}

function timeoutOutcome(functionId: string, message: string): ChainOutcome {
  const log: FunctionLog = {
    level: "error",
    type: "log",
    functionId,
    message,
    timestamp: new Date().toISOString(),
  };
  return {
    events: [],
    dropped: true,
    logs: [log],
    error: { functionId, name: "TimeoutError", message },
    // As Jitsu does for a UDF timeout: drop now, retry later (then dead letter).
    retry: { message, drop: true },
    execLog: [{ functionId, ms: 0, error: `TimeoutError: ${message}` }],
  };
}

if (import.meta.main) await runSandboxRunner(Deno.args);
