/// <reference lib="deno.worker" />
/**
 * The Worker that runs user code, started by the runner process with `permissions: "none"`: no files,
 * env, network or subprocesses. It loads each function once per code hash (a blob: module), builds
 * Jitsu's `ctx` for each call and sends `fetch` and `store` calls out to the host through the runner.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { type BuiltinsGuard, guardBuiltins } from "./builtins_guard.ts";
import { type LoadedFunction, runChain, timeoutOutcome } from "./chain.ts";
import {
  type BatchItem,
  batchItemsOf,
  type BridgeOp,
  type ChainOutcome,
  type FunctionLog,
  type WorkerReply,
  type WorkerRequest,
} from "./protocol.ts";
import { isoNow, jsonSafe, makeCtx } from "./worker_ctx.ts";

// Taken before any user code runs: a function that replaces JSON or TextEncoder cannot change how results
// are sent.
const { stringify } = JSON;
const utf8 = TextEncoder.prototype.encode.bind(new TextEncoder());

// \`process.env\` is the connection's functionsEnv (as Jitsu maps it), per call even when calls of
// several connections interleave in this worker.
const callEnv = new AsyncLocalStorage<Record<string, unknown>>();
Object.defineProperty(globalThis, "process", {
  value: Object.freeze({
    get env() {
      return callEnv.getStore() ?? {};
    },
  }),
  writable: true,
  configurable: true,
});

type AnyEvent = Record<string, unknown>;

// What `import ... from "@jitsu/functions-lib"` resolves to; the same classes are also globals.
const LIB_SOURCE = `
export class RetryError extends Error {
  constructor(message, options) {
    super(typeof message === "string" ? message : (message && message.message) || "Retry");
    this.name = options && options.drop ? "Drop & RetryError" : "RetryError";
    this.options = options;
  }
}
export class NoRetryError extends Error {
  constructor(message) { super(message); this.name = "NoRetryError"; }
}
export class HTTPError extends Error {
  constructor(message, status, response) { super(message); this.name = "HTTPError"; this.status = status; this.response = response; }
}
globalThis.RetryError = RetryError;
globalThis.NoRetryError = NoRetryError;
globalThis.HTTPError = HTTPError;
export default { RetryError, NoRetryError, HTTPError };
`;
const libUrl = URL.createObjectURL(new Blob([LIB_SOURCE], { type: "text/javascript" }));
// Not a top-level await: the message handler must be installed before the first message arrives.
// The guard is set once the library has put its globals in place.
let guard: BuiltinsGuard | null = null;
const libReady = import(libUrl).then(() => {
  guard = guardBuiltins();
  post({ t: "ready" });
});

const MAX_CACHED_MODULES = 200;
const modules = new Map<string, LoadedFunction | { error: string }>();

async function load(hash: string, id: string, code: string): Promise<LoadedFunction | { error: string }> {
  const hit = modules.get(hash);
  if (hit) return "run" in hit ? { ...hit, id } : hit;
  // Same-line rewrite keeps user line numbers intact in stack traces.
  const source = code.replace(
    /(from\s*|import\s*\(\s*|import\s+)(["'])@jitsu\/functions-lib\2/g,
    `$1"${libUrl}"`,
  );
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  let loaded: LoadedFunction | { error: string };
  try {
    const mod = await import(url);
    const fn = mod.default;
    loaded = typeof fn === "function"
      ? {
        id,
        run: (event, ctx) =>
          callEnv.run((ctx as { props: Record<string, unknown> }).props, () => fn(event, ctx)),
        moduleUrl: url,
      }
      : {
        error: "the module has no default export function (export default async function(event, ctx) {...})",
      };
  } catch (e) {
    const err = e as Error;
    const where = /:(\d+):(\d+)/.exec(String(err?.stack ?? "").split(url)[1] ?? "");
    loaded = {
      error: `${err?.name ?? "Error"}: ${err?.message ?? String(e)}${where ? ` (line ${where[1]})` : ""}`,
    };
  }
  if (modules.size >= MAX_CACHED_MODULES) modules.delete(modules.keys().next().value!);
  modules.set(hash, loaded);
  return loaded;
}

let nextBid = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; logs: FunctionLog[] }>();

/**
 * `postMessage` as it was when this module loaded: user code runs in this scope and may replace
 * `self.postMessage`, which must not let it write other events' outcomes.
 */
const postMessage = self.postMessage.bind(self);

function post(msg: WorkerReply) {
  postMessage(msg);
}

/**
 * Sends finished events' outcomes: their `[index,outcome]` texts as one UTF-8 buffer, moved to the runner
 * (not copied), which writes it to the host as it is. Posting the texts as strings cost more than the
 * trivial call that made them (each is copied out of this heap and into the runner's, then encoded there).
 */
function postDone(id: number, indices: number[], parts: string[]) {
  const bytes = utf8(parts.join(","));
  postMessage({ t: "done", id, indices, bytes } satisfies WorkerReply, [bytes.buffer]);
}

/** A call of batch `id`, event `i`: where a bridge call's reply goes. */
interface CallRef {
  id: number;
  i: number;
}

function bridge(at: CallRef, logs: FunctionLog[], op: BridgeOp, args: unknown[]) {
  const bid = nextBid++;
  bridged = true;
  return new Promise<unknown>((resolve, reject) => {
    pending.set(bid, { resolve, reject, logs });
    post({ t: "bridge", id: at.id, i: at.i, bid, op, args });
  });
}

type RunRequest = WorkerRequest & { t: "run" };

async function loadAll(req: RunRequest): Promise<LoadedFunction[] | { id: string; error: string }> {
  const loaded: LoadedFunction[] = [];
  for (const f of req.functions) {
    const l = await load(f.hash, f.id, f.code);
    if ("error" in l) return { id: f.id, error: l.error };
    loaded.push(l);
  }
  return loaded;
}

function compileErrorOutcome(event: AnyEvent, functionId: string, error: string): ChainOutcome {
  const message = `Cannot compile function ${functionId}: ${error}`;
  return {
    events: [event],
    dropped: false,
    logs: [{ level: "error", type: "log", functionId, message, timestamp: isoNow() }],
    error: { functionId, name: "CompileError", message },
    // Delivering events a broken function was meant to transform (or scrub) would be wrong: retry.
    retry: { message, drop: false },
    execLog: [],
  };
}

/** A function call in progress and its deadline (ms since the epoch). */
interface Call {
  deadline: number;
  functionId: string;
  expire(): void;
}

// One sweep timer for every call in flight: a timer per call cost more than a trivial call.
const SWEEP_MS = 10;
const now = Date.now;
const calls = new Set<Call>();
let sweeper: ReturnType<typeof setInterval> | null = null;

function watch(call: Call) {
  calls.add(call);
  sweeper ??= setInterval(function sweep() {
    const t = now();
    for (const c of calls) {
      if (t < c.deadline) continue;
      calls.delete(c);
      c.expire();
    }
    if (calls.size === 0 && sweeper !== null) {
      clearInterval(sweeper);
      sweeper = null;
    }
  }, SWEEP_MS);
}

/** Where the call now starting is written for the runner (see the `init` message). */
let started: Int32Array | null = null;

/** Set when a call changed built-ins beyond repair: the batch stops and the runner replaces us. */
let recycleReason: string | null = null;
/** Batches in this worker now; globals their calls added are removed when none is left. */
let active = 0;

/**
 * Runs the chain on one event. Each function call gets \`timeoutMs\`: a call that is waiting (on a timer,
 * a fetch) past it ends the event with a TimeoutError here, and the batch goes on. A call that never
 * yields cannot be stopped from inside: the runner sees no progress and replaces the worker.
 */
function runItem(loaded: LoadedFunction[], item: BatchItem & { i: number }, req: RunRequest) {
  return new Promise<ChainOutcome>((resolve) => {
    let over = false;
    const call: Call = {
      deadline: Infinity,
      functionId: "",
      expire() {
        over = true;
        const id = call.functionId;
        resolve(
          timeoutOutcome(id, `Function ${id} did not finish within ${req.timeoutMs} ms and was stopped`),
        );
      },
    };
    watch(call);
    const at = { id: req.id, i: item.i };
    const callBridge = (logs: FunctionLog[], op: BridgeOp, args: unknown[]) => bridge(at, logs, op, args);
    runChain(loaded, item.event as AnyEvent, {
      ctxFor: (functionId, logs) =>
        makeCtx(callBridge, item.ctx as unknown as Record<string, unknown>, functionId, logs),
      tick(functionId) {
        if (started) {
          started[0] = req.id;
          started[1] = item.i;
        }
        call.functionId = functionId;
        call.deadline = now() + req.timeoutMs;
      },
    }).then((outcome) => {
      calls.delete(call);
      if (!over) resolve(outcome);
    });
  });
}

/** Outcome as JSON text (the runner forwards it without parsing); BigInts and cycles become strings. */
function outcomeJson(outcome: ChainOutcome): string {
  try {
    return stringify(outcome);
  } catch {
    return stringify(jsonSafe(outcome));
  }
}

/** Set when a call of the running event went to the host (fetch, store, warehouse). */
let bridged = false;
/** Outcomes are sent when this many wait, or this long after the last send. */
const GROUP_MAX = 64;
const GROUP_MS = 2;
/** How long a batch runs its calls one after the other before starting the rest at once (ms). */
const SEQUENTIAL_MS = 100;

async function runBatch(req: RunRequest) {
  const all = batchItemsOf(req.itemsJson);
  const items = req.only ? req.only.map((i) => all[i]) : all;
  if (started && items.length > 0) {
    // Loading runs the module's top-level code: blame this batch if that never ends.
    started[0] = req.id;
    started[1] = items[0].i;
  }
  active++;
  try {
    const loaded = await loadAll(req);
    let indices: number[] = [];
    let parts: string[] = [];
    let sentAt = now();
    const run = async (item: BatchItem & { i: number }) => {
      bridged = false;
      const outcome = Array.isArray(loaded)
        ? await runItem(loaded, item, req)
        : compileErrorOutcome(item.event as AnyEvent, loaded.id, loaded.error);
      indices.push(item.i);
      parts.push(`[${item.i},${outcomeJson(outcome)}]`);
      const t = now();
      if (bridged || indices.length >= GROUP_MAX || t - sentAt >= GROUP_MS) {
        postDone(req.id, indices, parts);
        indices = [];
        parts = [];
        sentAt = t;
      }
    };
    const t0 = now();
    let k = 0;
    // One call after the other while they are quick; once the batch has run SEQUENTIAL_MS, the rest start
    // at once, so that calls that wait (a timer, a fetch) overlap instead of queueing: the host sends a chain
    // it saw as quick in one large batch (batch_size.ts), and the chain may have turned slow since.
    for (; k < items.length && now() - t0 < SEQUENTIAL_MS; k++) {
      if (recycleReason !== null) break; // the runner runs the rest in a fresh worker
      await run(items[k]);
    }
    if (k < items.length && recycleReason === null) await Promise.all(items.slice(k).map(run));
    if (indices.length > 0) postDone(req.id, indices, parts);
  } finally {
    // Globals a call added live until no batch is left that could still be using them.
    if (--active === 0 && recycleReason === null) recycleReason = guard?.restore() ?? null;
    if (recycleReason !== null) post({ t: "recycle", reason: recycleReason });
  }
}

// A callback user code scheduled (setTimeout, a floating promise) may throw after its call ended:
// it must not kill the worker that other calls share.
self.addEventListener("unhandledrejection", function keepAlive(e) {
  e.preventDefault();
});
self.addEventListener("error", function keepAliveOnError(e) {
  e.preventDefault();
});

self.onmessage = async function onMessage(e: MessageEvent<WorkerRequest>) {
  const msg = e.data;
  if (msg.t === "ping") return post({ t: "pong", n: msg.n });
  if (msg.t === "init") {
    started = new Int32Array(msg.started);
    return;
  }
  if (msg.t === "bridge-reply") {
    const p = pending.get(msg.bid);
    if (!p) return;
    pending.delete(msg.bid);
    if (msg.log) p.logs.push(msg.log);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(msg.error ?? "failed"));
    return;
  }
  await libReady;
  await runBatch(msg);
};
