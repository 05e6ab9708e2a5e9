/**
 * `function` Live Events entries from a chain's logs, in Jitsu's shapes (`log-<level>` with
 * `{text, args}`, `http-request`), plus the error details (name, message, stack with line numbers in the
 * user's code) and the event's messageId so an agent can follow one event across entry types.
 */
import type { EventLogEntry } from "../events_log/events_log.ts";
import type { FunctionLog } from "../sandbox/protocol.ts";

export interface EntryTarget {
  workspaceId: string;
  connectionId: string;
  messageId: string;
  /** Jitsu drops debug entries unless the connection's `debugTill` is in the future. */
  debug: boolean;
}

/** Turns a chain's logs into `function` entries. */
export function functionEntries(logs: readonly FunctionLog[], t: EntryTarget): EventLogEntry[] {
  const out: EventLogEntry[] = [];
  for (const l of logs) {
    if (l.level === "debug" && !t.debug) continue;
    const message = l.type === "http"
      ? {
        type: "http-request",
        functionId: l.functionId,
        functionType: "udf",
        messageId: t.messageId,
        ...l.data,
      }
      : {
        type: `log-${l.level}`,
        functionId: l.functionId,
        functionType: "udf",
        messageId: t.messageId,
        message: { text: l.message, args: l.args ?? [] },
        ...(l.data ? { error: l.data } : {}),
      };
    out.push({
      workspaceId: t.workspaceId,
      actorId: t.connectionId,
      type: "function",
      level: l.level,
      timestamp: new Date(l.timestamp),
      message,
    });
  }
  return out;
}

/** One more `function` entry written by the pipeline itself (drops, retries, dead letter). */
export function pipelineEntry(
  t: EntryTarget,
  level: "info" | "warn" | "error",
  functionId: string,
  text: string,
  extra: Record<string, unknown> = {},
): EventLogEntry {
  return {
    workspaceId: t.workspaceId,
    actorId: t.connectionId,
    type: "function",
    level,
    message: {
      type: `log-${level}`,
      functionId,
      functionType: "udf",
      messageId: t.messageId,
      message: { text, args: [] },
      ...extra,
    },
  };
}

/** Whether `debugTill` (an ISO date in connection options) is in the future. */
export function debugOn(options: Record<string, unknown>, now: Date): boolean {
  const till = typeof options.debugTill === "string" ? Date.parse(options.debugTill) : NaN;
  return Number.isFinite(till) && till > now.getTime();
}
