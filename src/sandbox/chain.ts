/**
 * Runs a functions chain on one event with Jitsu's return semantics (Jitsu rotor's `runChain`):
 * `undefined` keeps the (possibly mutated) event; `"drop"`, `null`, `false` and `[]` drop it; an object
 * replaces it; an array fans out, from the last function only. `RetryError` stops the chain and asks for
 * a retry (`{drop: true}` or Jitsu's "Drop & RetryError" also drops it now); `NoRetryError` (a Sluice
 * extension) drops it without retry; any other throw is logged and the event goes on unchanged.
 *
 * Pure: no imports with side effects, so it runs inside the sandbox worker and in unit tests alike.
 */
import type { ChainOutcome, FunctionError, FunctionLog } from "./protocol.ts";

type AnyEvent = Record<string, unknown>;

/** One loaded function: its id, its default export and the module URL its stack frames carry. */
export interface LoadedFunction {
  id: string;
  run: (event: AnyEvent, ctx: unknown) => unknown;
  moduleUrl: string;
}

export interface ChainHooks {
  /** Builds the `ctx` a function sees (its log calls append to `logs`). */
  ctxFor(functionId: string, logs: FunctionLog[]): unknown;
  /** Called before each function call (the worker's per-call clock). */
  tick?(functionId: string): void;
  /** Called as soon as each function call ends, before anything else runs (built-ins clean-up). */
  after?(): void;
}

/** Runs `functions` in order on `event`. Never throws. */
export async function runChain(
  functions: LoadedFunction[],
  event: AnyEvent,
  hooks: ChainHooks,
): Promise<ChainOutcome> {
  const out: ChainOutcome = { events: [event], dropped: false, logs: [], execLog: [] };
  for (let i = 0; i < functions.length; i++) {
    const f = functions[i];
    const last = i === functions.length - 1;
    const next: AnyEvent[] = [];
    for (const current of out.events) {
      hooks.tick?.(f.id);
      const started = performance.now();
      let result: unknown;
      try {
        result = await f.run(current, hooks.ctxFor(f.id, out.logs));
        hooks.after?.();
      } catch (e) {
        hooks.after?.();
        const ms = performance.now() - started;
        const err = describeError(e, f);
        const kind = errorKind(e);
        out.error = err;
        out.execLog.push({ functionId: f.id, ms, error: `${err.name}: ${err.message}` });
        if (kind === "retry" || kind === "drop-retry") {
          out.logs.push(errorLog(f.id, "warn", "Function asked for a retry", err));
          out.retry = { message: err.message, drop: kind === "drop-retry" };
          out.events = kind === "drop-retry" ? [] : [current];
          out.dropped = kind === "drop-retry";
          return out;
        }
        if (kind === "no-retry") {
          out.logs.push(errorLog(f.id, "error", "Function dropped the event (NoRetryError)", err));
          continue; // dropped: nothing goes on
        }
        out.logs.push(errorLog(f.id, "error", "Function execution failed", err));
        next.push(current); // Jitsu: a plain throw leaves the event unchanged for the next function
        continue;
      }
      const ms = performance.now() - started;
      const applied = applyResult(result, current, last);
      if (applied.problem) {
        const err = { functionId: f.id, name: "TypeError", message: applied.problem };
        out.error = err;
        out.logs.push(errorLog(f.id, "error", "Function returned an invalid value", err));
      }
      out.execLog.push({ functionId: f.id, ms, ...(applied.events.length === 0 ? { dropped: true } : {}) });
      next.push(...applied.events);
    }
    out.events = next;
    if (next.length === 0) break;
  }
  out.dropped = out.events.length === 0;
  return out;
}

/** Whether a return value means "drop" (Jitsu's `isDropResult`). */
export function isDropResult(result: unknown): boolean {
  return result === "drop" || result === null || result === false ||
    (Array.isArray(result) && result.length === 0);
}

function isEventObject(x: unknown): x is AnyEvent {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function applyResult(
  result: unknown,
  current: AnyEvent,
  last: boolean,
): { events: AnyEvent[]; problem?: string } {
  if (result === undefined) return { events: [current] };
  if (isDropResult(result)) return { events: [] };
  if (isEventObject(result)) return { events: [result] };
  if (Array.isArray(result)) {
    if (!last) {
      return {
        events: [current],
        problem: "only the last function of a chain may return an array (fan out); event kept unchanged",
      };
    }
    const bad = result.findIndex((x) => !isEventObject(x));
    if (bad >= 0) return { events: [current], problem: `returned array element ${bad} is not an object` };
    return { events: result as AnyEvent[] };
  }
  return {
    events: [current],
    problem: `must return an event object, an array, "drop", null, false or nothing; got ${typeof result}`,
  };
}

type ErrorKind = "retry" | "drop-retry" | "no-retry" | "plain";

// Jitsu tells errors apart by name (rotor functions-chain.ts), so a user's own class works too.
function errorKind(e: unknown): ErrorKind {
  const name = (e as { name?: unknown })?.name;
  if (name === "NoRetryError") return "no-retry";
  if (name === "Drop & RetryError") return "drop-retry";
  if (name === "RetryError") {
    const drop = (e as { options?: { drop?: unknown }; drop?: unknown }).options?.drop ??
      (e as { drop?: unknown }).drop;
    return drop ? "drop-retry" : "retry";
  }
  return "plain";
}

/** Name, message and a stack whose frames point into the user's code as `<functionId>.js:line:col`. */
export function describeError(e: unknown, f: { id: string; moduleUrl: string }): FunctionError {
  const name = String((e as { name?: unknown })?.name ?? "Error");
  const message = e instanceof Error ? e.message : typeof e === "string" ? e : safeString(e);
  const rawStack = e instanceof Error && typeof e.stack === "string" ? e.stack : undefined;
  const out: FunctionError = { functionId: f.id, name, message };
  if (!rawStack) return out;
  const file = `${f.id}.js`;
  const lines = rawStack.split("\n").filter((l, i) => i === 0 || l.includes(f.moduleUrl));
  out.stack = lines.map((l) => l.replaceAll(f.moduleUrl, file)).join("\n");
  const m = new RegExp(`${escapeRegExp(file)}:(\\d+):(\\d+)`).exec(out.stack);
  if (m) {
    out.line = Number(m[1]);
    out.column = Number(m[2]);
  }
  return out;
}

function errorLog(functionId: string, level: "warn" | "error", message: string, err: FunctionError) {
  const log: FunctionLog = {
    level,
    type: "log",
    functionId,
    message,
    args: [err.name, err.message],
    timestamp: new Date().toISOString(),
    data: { ...err },
  };
  return log;
}

function safeString(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The outcome of an event whose function overran its time limit (also used by the runner). */
export function timeoutOutcome(functionId: string, message: string): ChainOutcome {
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
