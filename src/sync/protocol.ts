/**
 * The Airbyte protocol as a connector speaks it: one JSON message per line on stdout, each with a
 * `type` (SPEC, CONNECTION_STATUS, CATALOG, RECORD, STATE, LOG, TRACE). A line that is not a message
 * (plain text, broken JSON, an unknown type) is reported as `junk` and logged, never fatal.
 */

/** A stream as a connector's CATALOG describes it. */
export interface AirbyteStream {
  name: string;
  namespace?: string;
  json_schema?: Record<string, unknown>;
  supported_sync_modes?: string[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
}

/** A STATE message's payload: per-stream, global or legacy. */
export interface AirbyteState {
  type?: "STREAM" | "GLOBAL" | "LEGACY";
  stream?: { stream_descriptor: { name: string; namespace?: string }; stream_state?: unknown };
  global?: unknown;
  data?: unknown;
}

/** What one stdout line turned out to be. */
export type ConnectorMessage =
  | { type: "SPEC"; spec: { connectionSpecification?: Record<string, unknown>; [k: string]: unknown } }
  | { type: "CONNECTION_STATUS"; status: "SUCCEEDED" | "FAILED"; message?: string }
  | { type: "CATALOG"; streams: AirbyteStream[] }
  | { type: "RECORD"; stream: string; data: Record<string, unknown>; emittedAt?: number }
  | { type: "STATE"; state: AirbyteState }
  | { type: "LOG"; level: string; message: string }
  | { type: "TRACE"; traceType: string; message: string; internal?: string }
  | { type: "junk"; line: string; reason: string };

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const LINE_PREVIEW = 500;

function junk(line: string, reason: string): ConnectorMessage {
  return {
    type: "junk",
    line: line.length > LINE_PREVIEW ? line.slice(0, LINE_PREVIEW) + "..." : line,
    reason,
  };
}

/** Parses one stdout line. Empty lines are null. */
export function parseMessage(line: string): ConnectorMessage | null {
  const text = line.trim();
  if (text === "") return null;
  if (text[0] !== "{") return junk(text, "not JSON");
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return junk(text, "not JSON");
  }
  if (!isObj(m) || typeof m.type !== "string") return junk(text, "no message type");
  switch (m.type) {
    case "SPEC":
      if (isObj(m.spec)) return { type: "SPEC", spec: m.spec };
      break;
    case "CONNECTION_STATUS": {
      const s = m.connectionStatus;
      if (isObj(s) && (s.status === "SUCCEEDED" || s.status === "FAILED")) {
        return {
          type: "CONNECTION_STATUS",
          status: s.status,
          message: typeof s.message === "string" ? s.message : undefined,
        };
      }
      break;
    }
    case "CATALOG": {
      const c = m.catalog;
      if (
        isObj(c) && Array.isArray(c.streams) && c.streams.every((s) => isObj(s) && typeof s.name === "string")
      ) {
        return { type: "CATALOG", streams: c.streams as AirbyteStream[] };
      }
      break;
    }
    case "RECORD": {
      const r = m.record;
      if (isObj(r) && typeof r.stream === "string" && isObj(r.data)) {
        return {
          type: "RECORD",
          stream: r.stream,
          data: r.data,
          emittedAt: typeof r.emitted_at === "number" ? r.emitted_at : undefined,
        };
      }
      break;
    }
    case "STATE":
      if (isObj(m.state)) return { type: "STATE", state: m.state as AirbyteState };
      break;
    case "LOG": {
      const l = m.log;
      if (isObj(l) && typeof l.message === "string") {
        return { type: "LOG", level: typeof l.level === "string" ? l.level : "INFO", message: l.message };
      }
      break;
    }
    case "TRACE": {
      const t = m.trace;
      if (isObj(t)) {
        const e = isObj(t.error) ? t.error : {};
        return {
          type: "TRACE",
          traceType: typeof t.type === "string" ? t.type : "ERROR",
          message: typeof e.message === "string" ? e.message : JSON.stringify(t).slice(0, LINE_PREVIEW),
          internal: typeof e.internal_message === "string" ? e.internal_message : undefined,
        };
      }
      break;
    }
    default:
      return junk(text, `unknown message type "${m.type}"`);
  }
  return junk(text, `malformed ${m.type} message`);
}

/** Sluice's Live Events level for a connector LOG level (FATAL, ERROR, WARN, INFO, DEBUG, TRACE). */
export function logLevel(level: string): "debug" | "info" | "warn" | "error" {
  const l = level.toUpperCase();
  if (l === "FATAL" || l === "ERROR") return "error";
  if (l === "WARN" || l === "WARNING") return "warn";
  if (l === "DEBUG" || l === "TRACE") return "debug";
  return "info";
}

/** Where the state in a STATE message belongs: a stream name, or '' for a legacy/global state. */
export function stateKey(state: AirbyteState): { key: string; value: unknown } {
  if (state.type === "STREAM" && state.stream?.stream_descriptor?.name) {
    return { key: state.stream.stream_descriptor.name, value: state.stream.stream_state ?? null };
  }
  if (state.type === "GLOBAL") return { key: "", value: { type: "GLOBAL", global: state.global } };
  return { key: "", value: state.data ?? null };
}

/**
 * The `--state` file for a run from saved states: per-stream states as an array of STREAM states;
 * a legacy state as its data; a global one as a GLOBAL state.
 */
export function stateFile(saved: Map<string, unknown>): unknown | null {
  if (saved.size === 0) return null;
  const legacy = saved.get("");
  const streams = [...saved].filter(([k]) => k !== "");
  if (streams.length === 0) {
    if (isObj(legacy) && legacy.type === "GLOBAL") return [{ type: "GLOBAL", global: legacy.global }];
    return legacy;
  }
  return streams.map(([name, stream_state]) => ({
    type: "STREAM",
    stream: { stream_descriptor: { name }, stream_state },
  }));
}

/** Paths (dotted) of `airbyte_secret: true` properties in a connector spec's connectionSpecification. */
export function secretPaths(schema: unknown, prefix = ""): string[] {
  if (!isObj(schema)) return [];
  const out: string[] = [];
  if (isObj(schema.properties)) {
    for (const [k, sub] of Object.entries(schema.properties)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (isObj(sub) && sub.airbyte_secret === true) out.push(path);
      out.push(...secretPaths(sub, path));
    }
  }
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    const list = schema[key];
    if (Array.isArray(list)) { for (const s of list) out.push(...secretPaths(s, prefix)); }
  }
  return [...new Set(out)];
}

/** The string values found at `paths` in a config: what must never show in logs or output. */
export function secretValues(config: Record<string, unknown>, paths: string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    let x: unknown = config;
    for (const part of path.split(".")) x = isObj(x) ? x[part] : undefined;
    if (typeof x === "string" && x.length >= 3) out.push(x);
    else if (typeof x === "number") out.push(String(x));
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of a secret value in `text` with `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out;
}
