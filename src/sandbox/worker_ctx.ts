/**
 * Builds Jitsu's \`ctx\` inside the sandbox worker. Loaded only by worker.ts, after which the built-ins
 * guard runs: the JSON functions below are taken before any user code can replace them.
 */
import type { BridgeOp, FunctionLog } from "./protocol.ts";

const { stringify, parse } = JSON;
const now = Date.now;
const toIso = Date.prototype.toISOString;

/** The time now as ISO text, without going through anything user code can replace. */
export function isoNow(): string {
  return toIso.call(new Date(now()));
}

const MAX_LOGS_PER_CALL = 100;
const MAX_LOG_CHARS = 10_000;

/** Sends one \`ctx\` call to the host; bridge replies carrying a log (fetch) append it to \`logs\`. */
export type CtxBridge = (logs: FunctionLog[], op: BridgeOp, args: unknown[]) => Promise<unknown>;

/** JSON-safe copy of log arguments and store values (functions, cycles and BigInts become strings). */
export function jsonSafe(x: unknown): unknown {
  if (x instanceof Error) return { name: x.name, message: x.message };
  try {
    const seen = new WeakSet();
    return parse(
      stringify(x, function replacer(_k, v) {
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

/**
 * The \`ctx\` one function call sees: the read-only data the host sent (props, source, ua, geo, ...)
 * plus log, fetch, store and getWarehouse, whose calls go to the host through \`bridge\`.
 */
export function makeCtx(
  bridge: CtxBridge,
  base: Record<string, unknown>,
  functionId: string,
  logs: FunctionLog[],
) {
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
          timestamp: isoNow(),
        });
        return;
      }
      const text = typeof message === "string" ? message : stringify(jsonSafe(message)) ?? String(message);
      const safeArgs = args.map(jsonSafe);
      const argsJson = args.length ? stringify(safeArgs) : "";
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
        timestamp: isoNow(),
      });
    };
  }
  async function fetch(url: unknown, init: { method?: string; headers?: unknown; body?: unknown } = {}) {
    const body = init.body === undefined || init.body === null
      ? undefined
      : typeof init.body === "string"
      ? init.body
      : stringify(init.body);
    const headers = init.headers instanceof Headers
      ? Object.fromEntries(init.headers)
      : (jsonSafe(init.headers ?? {}) as Record<string, string>);
    const r = await bridge(logs, "fetch", [
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
    get: (key: unknown) => bridge(logs, "store.get", [String(key)]),
    set: (key: unknown, value: unknown, opts?: unknown) =>
      bridge(logs, "store.set", [String(key), jsonSafe(value), jsonSafe(opts)]),
    del: (key: unknown) => bridge(logs, "store.del", [String(key)]),
    ttl: (key: unknown) => bridge(logs, "store.ttl", [String(key)]),
    getWithTTL: (key: unknown) => bridge(logs, "store.getWithTTL", [String(key)]),
    /** Jitsu's getOrSet: the stored value, else \`valueOrFn\` (called with the key if a function) stored. */
    async getOrSet(key: unknown, valueOrFn: unknown, opts?: unknown) {
      const k = String(key);
      const hit = await bridge(logs, "store.get", [k]);
      if (hit !== undefined && hit !== null) return hit;
      const value = typeof valueOrFn === "function" ? await valueOrFn(k) : valueOrFn;
      await bridge(logs, "store.set", [k, jsonSafe(value), jsonSafe(opts)]);
      return value;
    },
  };
  function getWarehouse(destinationId: unknown) {
    const id = String(destinationId);
    return {
      id,
      /** Runs \`sql\` with \`params\` on the workspace's warehouse destination; resolves to the rows. */
      query: (sql: unknown, params?: unknown) =>
        bridge(logs, "warehouse.query", [id, String(sql), jsonSafe(params ?? [])]),
    };
  }
  return {
    ...base,
    log: { info: logAt("info"), warn: logAt("warn"), error: logAt("error"), debug: logAt("debug") },
    fetch,
    store,
    getWarehouse,
  };
}
