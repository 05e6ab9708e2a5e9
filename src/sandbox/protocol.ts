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
}

/**
 * host -> runner. A `run` announces a batch: one chain, `n` events, run in order in the worker. The next
 * line is the JSON array of the `n` BatchItems: the runner hands that text to the worker as it is (a
 * string crosses to a Worker as a copy of bytes; structured-cloning the objects cost about ten times
 * more). The outcomes come back as `done` messages, possibly in several parts (`[index, outcome]`
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
 * runner -> worker: run the events one after another. A first dispatch passes the host's JSON text
 * (`itemsJson`, indices 0..n-1); a re-run of some events passes them as objects with their index `i`.
 */
export type WorkerRequest =
  | {
    t: "run";
    id: number;
    functions: Required<ChainFunctionRef>[];
    itemsJson?: string;
    items?: (BatchItem & { i: number })[];
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
   * Events of batch `id` that finished: `[index, outcome as JSON text]`. Sent in groups (a message per
   * event cost more than a trivial event): at least every few milliseconds, and at once after an event
   * whose calls reached the host (so an event with side effects is never run twice because its outcome
   * was lost with a stuck worker).
   */
  | { t: "done"; id: number; results: [number, string][] }
  | { t: "bridge"; id: number; i: number; bid: number; op: BridgeOp; args: unknown[] }
  /** A call changed built-ins in a way that cannot be undone: replace this worker. */
  | { t: "recycle"; reason: string }
  /** The worker has started (its clock for the batches sent so far starts now). */
  | { t: "ready" }
  | { t: "pong"; n: number };
