/**
 * What the statistics rollup counts of the pipeline's Live Events entries, decided where they are
 * appended (appendEvents in src/events_log/events_log.ts), so the counts commit with the step that
 * made them and survive Live Events retention.
 */
import type { ConnectionStatDelta } from "../store/event_stat_repo.ts";

/** What the rollup reads of a Live Events entry (StatEntry in src/events_log/events_log.ts has these). */
export interface StatEntry {
  workspaceId: string;
  actorId: string;
  type: string;
  level: string;
  timestamp?: Date;
  message: unknown;
}

/** The statuses the rollup knows, as `GET /api/{ws}/stat` and `get_event_stat` report them. */
export const EVENT_STAT_STATUSES = [
  "incoming",
  "error",
  "delivered",
  "skipped",
  "dropped",
  "dead_letter",
] as const;
export type EventStatStatus = typeof EVENT_STAT_STATUSES[number];

/**
 * The status an entry counts as, or null when it counts as nothing (function logs, batch summaries:
 * a batch-mode event is counted by its `bulker_stream` entry like any other).
 * - `incoming` on a stream: `incoming`, or `error` when ingest refused the event;
 * - `bulker_stream` on a connection: `delivered`, `skipped`, or `error` for a failed attempt;
 * - `function` with `dropped: true`: `dropped`; `dead-letter`: `dead_letter`.
 */
export function statStatusOf(e: StatEntry): EventStatStatus | null {
  const m = (typeof e.message === "object" && e.message !== null ? e.message : {}) as Record<string, unknown>;
  switch (e.type) {
    case "incoming":
      return e.level === "error" ? "error" : "incoming";
    case "bulker_stream":
      if (m.status === "SKIPPED") return "skipped";
      return e.level === "error" || m.status === "FAILED" ? "error" : "delivered";
    case "function":
      return m.dropped === true ? "dropped" : null;
    case "dead-letter":
      return "dead_letter";
    default:
      return null;
  }
}

/** Sums entries per (workspace, source, status, minute). `incoming` entries' source is a stream. */
export function statDeltas(entries: readonly StatEntry[], now: Date): {
  connections: ConnectionStatDelta[];
  streams: ConnectionStatDelta[];
} {
  const byKey = new Map<string, ConnectionStatDelta & { stream: boolean }>();
  for (const e of entries) {
    const status = statStatusOf(e);
    if (status === null) continue;
    const at = e.timestamp ?? now;
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const stream = e.type === "incoming";
    const key = `${e.workspaceId}\n${e.actorId}\n${status}\n${minute.getTime()}\n${stream}`;
    const d = byKey.get(key);
    if (d) d.events++;
    else {
      byKey.set(key, {
        workspaceId: e.workspaceId,
        connectionId: e.actorId,
        status,
        minute,
        events: 1,
        stream,
      });
    }
  }
  const connections: ConnectionStatDelta[] = [], streams: ConnectionStatDelta[] = [];
  for (const { stream, ...d } of byKey.values()) (stream ? streams : connections).push(d);
  return { connections, streams };
}
