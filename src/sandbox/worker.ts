/// <reference lib="deno.worker" />
/**
 * The Worker that runs user code, started by the runner process with `permissions: "none"`: no files,
 * env, network or subprocesses. It loads each function once per code hash (a blob: module), builds
 * Jitsu's `ctx` for each call and sends `fetch` and `store` calls out to the host through the runner.
 */
import { type LoadedFunction, runChain } from "./chain.ts";
import type { BridgeOp, ChainOutcome, FunctionLog, WorkerReply, WorkerRequest } from "./protocol.ts";

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
const libReady = import(libUrl);

const MAX_CACHED_MODULES = 200;
const MAX_LOGS_PER_CALL = 100;
const MAX_LOG_CHARS = 10_000;
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
    loaded = typeof mod.default === "function" ? { id, run: mod.default, moduleUrl: url } : {
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

function post(msg: WorkerReply) {
  self.postMessage(msg);
}

function bridge(id: number, logs: FunctionLog[], op: BridgeOp, args: unknown[]) {
  const bid = nextBid++;
  return new Promise<unknown>((resolve, reject) => {
    pending.set(bid, { resolve, reject, logs });
    post({ t: "bridge", id, bid, op, args });
  });
}

/** JSON-safe copy of log arguments (functions, cycles and BigInts become strings). */
function jsonSafe(x: unknown): unknown {
  if (x instanceof Error) return { name: x.name, message: x.message };
  try {
    const seen = new WeakSet();
    return JSON.parse(
      JSON.stringify(x, function replacer(_k, v) {
        if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol") return String(v);
        if (typeof v === "object" && v !== null) {
          if (seen.has(v)) return "[cycle]";
          seen.add(v);
        }
        return v;
      }) ?? "null",
    );
  } catch {
    return String(x);
  }
}

function makeCtx(id: number, base: Record<string, unknown>, functionId: string, logs: FunctionLog[]) {
  function logAt(level: FunctionLog["level"]) {
    return function log(message: unknown, ...args: unknown[]) {
      // Live Events must not fill up from one chatty call (Jitsu rate-limits function logs too).
      const calls = logs.filter((l) => l.type === "log").length;
      if (calls > MAX_LOGS_PER_CALL) return;
      if (calls === MAX_LOGS_PER_CALL) {
        logs.push({
          level: "warn",
          type: "log",
          functionId,
          message: `More than ${MAX_LOGS_PER_CALL} log calls for this event: the rest are not kept`,
          timestamp: new Date().toISOString(),
        });
        return;
      }
      const text = typeof message === "string"
        ? message
        : JSON.stringify(jsonSafe(message)) ?? String(message);
      const safeArgs = args.map(jsonSafe);
      const argsJson = args.length ? JSON.stringify(safeArgs) : "";
      logs.push({
        level,
        type: "log",
        functionId,
        message: text.length > MAX_LOG_CHARS ? `${text.slice(0, MAX_LOG_CHARS)}... (truncated)` : text,
        ...(args.length
          ? {
            args: argsJson.length > MAX_LOG_CHARS
              ? [`${argsJson.slice(0, MAX_LOG_CHARS)}... (truncated)`]
              : safeArgs,
          }
          : {}),
        timestamp: new Date().toISOString(),
      });
    };
  }
  async function fetch(url: unknown, init: { method?: string; headers?: unknown; body?: unknown } = {}) {
    const body = init.body === undefined || init.body === null
      ? undefined
      : typeof init.body === "string"
      ? init.body
      : JSON.stringify(init.body);
    const headers = init.headers instanceof Headers
      ? Object.fromEntries(init.headers)
      : (jsonSafe(init.headers ?? {}) as Record<string, string>);
    const r = await bridge(id, logs, "fetch", [
      String(url),
      { method: init.method, headers, body },
      functionId,
    ]) as {
      status: number;
      statusText: string;
      headers: [string, string][];
      body: string;
    };
    const nullBody = r.status === 204 || r.status === 205 || r.status === 304;
    return new Response(nullBody ? null : r.body, {
      status: r.status,
      statusText: r.statusText,
      headers: r.headers,
    });
  }
  const store = {
    get: (key: unknown) => bridge(id, logs, "store.get", [String(key)]),
    set: (key: unknown, value: unknown, opts?: unknown) =>
      bridge(id, logs, "store.set", [String(key), jsonSafe(value), jsonSafe(opts)]),
    del: (key: unknown) => bridge(id, logs, "store.del", [String(key)]),
    ttl: (key: unknown) => bridge(id, logs, "store.ttl", [String(key)]),
    getWithTTL: (key: unknown) => bridge(id, logs, "store.getWithTTL", [String(key)]),
  };
  return {
    ...base,
    log: { info: logAt("info"), warn: logAt("warn"), error: logAt("error"), debug: logAt("debug") },
    fetch,
    store,
  };
}

async function run(req: WorkerRequest & { t: "run" }): Promise<ChainOutcome> {
  const loaded: LoadedFunction[] = [];
  for (const f of req.functions) {
    const l = await load(f.hash, f.id, f.code);
    if ("error" in l) {
      const message = `Cannot compile function ${f.id}: ${l.error}`;
      return {
        events: [req.event],
        dropped: false,
        logs: [{
          level: "error",
          type: "log",
          functionId: f.id,
          message,
          timestamp: new Date().toISOString(),
        }],
        error: { functionId: f.id, name: "CompileError", message },
        // Delivering events a broken function was meant to transform (or scrub) would be wrong: retry.
        retry: { message, drop: false },
        execLog: [],
      };
    }
    loaded.push(l);
  }
  return await runChain(loaded, req.event as AnyEvent, {
    ctxFor: (functionId, logs) =>
      makeCtx(req.id, req.ctx as unknown as Record<string, unknown>, functionId, logs),
    tick: (functionId) => post({ t: "tick", id: req.id, functionId }),
  });
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
  const outcome = await run(msg);
  post({ t: "done", id: msg.id, outcome: jsonSafe(outcome) as ChainOutcome });
};
