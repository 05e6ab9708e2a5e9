/**
 * Messages between the three layers of the Functions sandbox:
 *
 *   server (host)  --stdin/stdout JSON lines-->  runner process  --postMessage-->  worker (user code)
 *
 * The runner process is a separate `deno` process per workspace with a V8 heap limit and no
 * permissions beyond reading the sandbox folder; user code runs in a Worker inside it with
 * `permissions: "none"`. This file has no imports so all three layers can load it.
 */

/** One function of a chain: its id (for logs) and the hash of its code (the module cache key). */
export interface ChainFunctionRef {
  id: string;
  hash: string;
  /** Sent the first time a runner sees this hash; the runner keeps it. */
  code?: string;
}

/** The read-only parts of Jitsu's `ctx` (everything except log, fetch and store). */
export interface EventContextData {
  props: Record<string, unknown>;
  headers: Record<string, string>;
  source: { id: string; name?: string; type: "browser" | "s2s"; domain?: string };
  destination: { id: string; type: string; updatedAt?: string; hash?: string };
  connection: { id: string; mode?: string; options?: Record<string, unknown> };
  workspace: { id: string };
  receivedAt: string;
  retries: number;
  /** Jitsu's `ctx.ua`: the event's `context.userAgent` parsed (see event_context.ts). */
  ua?: Record<string, unknown>;
  /** Jitsu's `ctx.geo`: the event's IP looked up in GEOIP_DATABASE; absent without it. */
  geo?: Record<string, unknown>;
}

/** A `ctx.log.*` call, a fetch, or an error, in call order. */
export interface FunctionLog {
  level: "debug" | "info" | "warn" | "error";
  type: "log" | "http";
  functionId: string;
  message: string;
  args?: unknown[];
  timestamp: string;
  /** http: `{method, url, status, elapsedMs, error?}`; errors: `{name, message, stack, line?, column?}`. */
  data?: Record<string, unknown>;
}

/** The error that stopped or marked a run, as shown to the user. */
export interface FunctionError {
  functionId: string;
  name: string;
  message: string;
  stack?: string;
  /** 1-based position of the failing frame in the user's code, when known. */
  line?: number;
  column?: number;
}

/** What a chain produced for one event. */
export interface ChainOutcome {
  /** Events that leave the chain (0 = dropped, 1 = usual, more = fan out). */
  events: Record<string, unknown>[];
  dropped: boolean;
  logs: FunctionLog[];
  /** Last error (a plain throw, a NoRetryError, a RetryError, a timeout or a crash), if any. */
  error?: FunctionError;
  /** Set when a function threw RetryError: retry later; `drop` means drop the event for now too. */
  retry?: { message: string; drop: boolean };
  /** Per function timings, as Jitsu's execLog. */
  execLog: { functionId: string; ms: number; dropped?: boolean; error?: string }[];
}

/** One event of a batch and its read-only ctx. */
export interface BatchItem {
  event: Record<string, unknown>;
  ctx: EventContextData;
  /**
   * The event's JSON text when the caller has it already (the queued event's text): sent instead of
   * serialising `event` again. Must be what `JSON.stringify(event)` gives.
   */
  eventJson?: string;
}

/**
 * host -> runner. A `run` announces a batch: one chain, `n` events, run in order in the worker. The next
 * line is the `n` BatchItems as {@linkcode batchItemsJson} writes them: the runner hands that text to the
 * worker as it is (a string crosses to a Worker as a copy of bytes; structured-cloning the objects cost
 * about ten times more). The outcomes come back as `done` messages, possibly in several parts (`[index, outcome]`
 * pairs), so the events finished before a timeout or a crash keep their outcomes.
 */
export type HostMessage =
  | {
    t: "run";
    id: number;
    functions: ChainFunctionRef[];
    /** Number of events; their JSON array is the next line. */
    n: number;
    /** Limit of one function call on one event, ms. */
    timeoutMs: number;
  }
  | { t: "bridge-reply"; bid: number; ok: boolean; value?: unknown; error?: string; log?: FunctionLog };

/** runner -> host (each line prefixed with the runner's token) */
export type RunnerMessage =
  | { t: "ready" }
  /** Outcomes of some events of batch `id`, by their index in the batch. */
  | { t: "done"; id: number; results: [number, ChainOutcome][] }
  /** The runner lacks the code of `hash` (it restarted): the host resends the batch with code. */
  | { t: "need-code"; id: number; hash: string }
  /** A `ctx` call of event `i` of batch `id`. */
  | { t: "bridge"; id: number; i: number; bid: number; op: BridgeOp; args: unknown[] }
  /** A call of batch `id` never yielded: the runner terminated its worker (it spun a core until then). */
  | { t: "stuck"; id: number }
  /** A call of batch `id` has not yielded for a while: it is spinning a core (it may still finish). */
  | { t: "hot"; id: number };

/** Calls user code makes through `ctx` that the host performs. */
export type BridgeOp =
  | "fetch"
  | "store.get"
  | "store.set"
  | "store.del"
  | "store.ttl"
  | "store.getWithTTL"
  | "warehouse.query";

/**
 * runner -> worker: run the events one after another. Always the host's text of the whole batch
 * (`itemsJson`); a re-run of some events (in a fresh worker) names them in `only`, in run order.
 */
export type WorkerRequest =
  | {
    t: "run";
    id: number;
    functions: Required<ChainFunctionRef>[];
    itemsJson: string;
    only?: number[];
    timeoutMs: number;
  }
  | { t: "bridge-reply"; bid: number; ok: boolean; value?: unknown; error?: string; log?: FunctionLog }
  /** Is the worker responsive? (An event overran: stuck in a loop, or just waiting?) */
  | { t: "ping"; n: number }
  /**
   * First message: shared memory where the worker writes `[batch id, event index]` each time a call
   * starts, so a runner whose worker is stuck knows exactly which call is to blame.
   */
  | { t: "init"; started: SharedArrayBuffer };

/** worker -> runner */
export type WorkerReply =
  /**
   * Events of batch `id` that finished (their indices), and their outcomes: the UTF-8 text of
   * `[index,outcome],[index,outcome],...` (comma-separated pairs, in the order of `indices`), which the
   * runner splices into its `done` line to the host without decoding it. Sent in groups (a message per
   * event cost more than a trivial event): at least every few milliseconds, and at once after an event
   * whose calls reached the host (so an event with side effects is never run twice because its outcome
   * was lost with a stuck worker).
   */
  | { t: "done"; id: number; indices: number[]; bytes: Uint8Array }
  | { t: "bridge"; id: number; i: number; bid: number; op: BridgeOp; args: unknown[] }
  /** A call changed built-ins in a way that cannot be undone: replace this worker. */
  | { t: "recycle"; reason: string }
  /** The worker has started (its clock for the batches sent so far starts now). */
  | { t: "ready" }
  | { t: "pong"; n: number };

// Taken when the module loads: in the worker, before any user code runs.
const { stringify, parse } = JSON;
const isArray = Array.isArray;
const keys = Object.keys;
const defineProperty = Object.defineProperty;

/**
 * The text of a batch's items: `{"ctxs":[...],"events":[...],"at":[...]}`, event i's ctx being
 * `ctxs[at[i]]`. The events of a chunk mostly share their ctx (one connection, one request's headers, one
 * user agent), and a ctx was about as long as the event: each distinct one is written, sent and parsed
 * once. A ctx field that is the same object in several items (the connection's props, a cached `ua`) is
 * serialised once. Throws what JSON.stringify throws (a BigInt, a cycle).
 */
export function batchItemsJson(items: readonly BatchItem[]): string {
  const fieldText = new Map<object, string | undefined>();
  const ctxAt = new Map<string, number>();
  const ctxs: string[] = [];
  const events: string[] = [];
  const at: number[] = [];
  let prev: Record<string, unknown> | null = null;
  let k = -1;
  for (const it of items) {
    const ctx = it.ctx as unknown as Record<string, unknown>;
    // Most often the ctx of the event before, field for field: no text to build and look up.
    if (prev === null || !sameFields(ctx, prev, fieldText)) {
      const c = ctxText(ctx, fieldText);
      const known = ctxAt.get(c);
      if (known === undefined) {
        k = ctxs.length;
        ctxAt.set(c, k);
        ctxs.push(c);
      } else k = known;
      prev = ctx;
    }
    at.push(k);
    events.push(it.eventJson ?? stringify(it.event) ?? "null");
  }
  return `{"ctxs":[${ctxs.join(",")}],"events":[${events.join(",")}],"at":[${at.join(",")}]}`;
}

/** Whether `a` and `b` have the same keys in the same order, each value the same or of the same text. */
function sameFields(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  fieldText: Map<object, string | undefined>,
): boolean {
  if (a === b) return true;
  let n = 0;
  for (const key in a) scratchKeys[n++] = key;
  let m = 0;
  for (const key in b) {
    if (m >= n || scratchKeys[m++] !== key) return false;
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (typeof x !== "object" || x === null || typeof y !== "object" || y === null) return false;
    if (textOf(x, fieldText) !== textOf(y, fieldText)) return false;
  }
  return m === n;
}

/** Keys of the ctx being compared (reused: no array per event). */
const scratchKeys: string[] = [];

function textOf(v: object, fieldText: Map<object, string | undefined>): string | undefined {
  let text = fieldText.get(v);
  if (text === undefined && !fieldText.has(v)) fieldText.set(v, text = stringify(v));
  return text;
}

const keyTexts = new Map<string, string>();

/** JSON.stringify(ctx), with the text of each object field taken from (or added to) `fieldText`. */
function ctxText(c: Record<string, unknown>, fieldText: Map<object, string | undefined>): string {
  let out = "";
  for (const key of keys(c)) {
    const v = c[key];
    let text: string | undefined;
    if (typeof v === "object" && v !== null) text = textOf(v, fieldText);
    else text = stringify(v);
    if (text === undefined) continue; // as JSON.stringify leaves out undefined and functions
    let keyText = keyTexts.get(key);
    if (keyText === undefined) {
      keyText = stringify(key);
      if (keyTexts.size < 100) keyTexts.set(key, keyText);
    }
    out += `${out ? "," : ""}${keyText}:${text}`;
  }
  return `{${out}}`;
}

/**
 * The items of a {@linkcode batchItemsJson} text, each with its index `i`. Every event gets a ctx of its
 * own (a copy, made before any of them runs): what one call does to its ctx never reaches another event.
 */
export function batchItemsOf(json: string): (BatchItem & { i: number })[] {
  const b = parse(json) as { ctxs: EventContextData[]; events: Record<string, unknown>[]; at: number[] };
  const lastUse: number[] = [];
  for (let i = 0; i < b.at.length; i++) lastUse[b.at[i]] = i;
  const out: (BatchItem & { i: number })[] = [];
  for (let i = 0; i < b.events.length; i++) {
    const k = b.at[i];
    // The parsed ctx itself goes to its last event; the ones before get copies of it.
    const ctx = lastUse[k] === i ? b.ctxs[k] : copyJson(b.ctxs[k]) as EventContextData;
    out.push({ event: b.events[i], ctx, i });
  }
  return out;
}

/** A deep copy of a value JSON.parse made (plain objects, arrays, strings, numbers, booleans, null). */
export function copyJson(x: unknown): unknown {
  if (typeof x !== "object" || x === null) return x;
  if (isArray(x)) {
    const a: unknown[] = [];
    for (let i = 0; i < x.length; i++) a.push(copyJson(x[i]));
    return a;
  }
  const o: Record<string, unknown> = {};
  // for-in (a parsed object inherits nothing enumerable): about twice as fast as Object.keys here.
  for (const key in x as Record<string, unknown>) {
    const v = copyJson((x as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own property; an assignment would set the prototype instead.
    if (key === "__proto__") {
      defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
    } else o[key] = v;
  }
  return o;
}

/**
 * Splits a stream of text chunks into lines. Each chunk is scanned once and a line's pieces are joined
 * once: appending every chunk to one string and searching it from its start again made a batch's long
 * line cost time in the square of its length.
 */
export class LineSplitter {
  #pieces: string[] = [];

  /** Calls `onLine` for every line `chunk` ends; keeps the unfinished rest. */
  push(chunk: string, onLine: (line: string) => void): void {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf("\n", start)) >= 0) {
      let line = chunk.slice(start, nl);
      if (this.#pieces.length > 0) {
        this.#pieces.push(line);
        line = this.#pieces.join("");
        this.#pieces = [];
      }
      start = nl + 1;
      onLine(line);
    }
    if (start < chunk.length) this.#pieces.push(start === 0 ? chunk : chunk.slice(start));
  }
}
