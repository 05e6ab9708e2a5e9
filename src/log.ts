/** Log levels in increasing order of severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Field names whose values never reach a log line, whatever their nesting.
const SECRET_FIELD = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential|pepper/i;

/** Replaces the values of secret-looking fields with "***" (recursively, cycles guarded). */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return "[cycle]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((x) => redact(x, seen));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? "***" : redact(x, seen);
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: "pretty" | "json";
  /** Where lines go; stderr by default so stdout stays clean for CLI output. */
  write?: (line: string) => void;
  now?: () => Date;
}

function writeStderr(line: string) {
  console.error(line);
}

/** One structured line per call; `json` for machines, `pretty` for people. */
export function createLogger(
  { level = "info", format = "pretty", write = writeStderr, now = () => new Date() }: LoggerOptions = {},
): Logger {
  const min = ORDER[level];
  function emit(lvl: LogLevel, msg: string, fields?: LogFields) {
    if (ORDER[lvl] < min) return;
    const safe = fields ? redact(fields) as LogFields : undefined;
    if (format === "json") {
      write(JSON.stringify({ time: now().toISOString(), level: lvl, msg, ...safe }));
      return;
    }
    const parts = safe
      ? Object.entries(safe).map(([k, x]) => `${k}=${typeof x === "string" ? x : JSON.stringify(x)}`)
      : [];
    write([now().toISOString(), lvl.toUpperCase().padEnd(5), msg, ...parts].join(" "));
  }
  return {
    debug: (msg, f) => emit("debug", msg, f),
    info: (msg, f) => emit("info", msg, f),
    warn: (msg, f) => emit("warn", msg, f),
    error: (msg, f) => emit("error", msg, f),
  };
}

/** A logger that keeps lines in memory, for tests that assert on what was (not) logged. */
export function memoryLogger(level: LogLevel = "debug"): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level, format: "json", write: (l) => lines.push(l) });
  return Object.assign(log, { lines });
}
