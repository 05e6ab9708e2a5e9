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

/** host -> runner */
export type HostMessage =
  | {
    t: "run";
    id: number;
    functions: ChainFunctionRef[];
    event: Record<string, unknown>;
    ctx: EventContextData;
    timeoutMs: number;
  }
  | { t: "bridge-reply"; bid: number; ok: boolean; value?: unknown; error?: string; log?: FunctionLog };

/** runner -> host (each line prefixed with the runner's token) */
export type RunnerMessage =
  | { t: "ready" }
  | { t: "done"; id: number; outcome: ChainOutcome }
  /** The runner lacks the code of `hash` (it restarted): the host resends the run with code. */
  | { t: "need-code"; id: number; hash: string }
  /** The worker was replaced while this run was in it (another run hit the time limit): run it again. */
  | { t: "interrupted"; id: number }
  | { t: "bridge"; id: number; bid: number; op: BridgeOp; args: unknown[] };

/** Calls user code makes through `ctx` that the host performs. */
export type BridgeOp = "fetch" | "store.get" | "store.set" | "store.del" | "store.ttl" | "store.getWithTTL";

/** runner -> worker */
export type WorkerRequest =
  | {
    t: "run";
    id: number;
    functions: Required<ChainFunctionRef>[];
    event: Record<string, unknown>;
    ctx: EventContextData;
  }
  | { t: "bridge-reply"; bid: number; ok: boolean; value?: unknown; error?: string; log?: FunctionLog }
  /** Is the worker responsive? (A call overran: stuck in a loop, or just waiting?) */
  | { t: "ping"; n: number };

/** worker -> runner */
export type WorkerReply =
  | { t: "done"; id: number; outcome: ChainOutcome }
  | { t: "bridge"; id: number; bid: number; op: BridgeOp; args: unknown[] }
  /** Sent before each function starts, so the runner restarts that call's clock (limit is per function). */
  | { t: "tick"; id: number; functionId: string }
  | { t: "pong"; n: number };
