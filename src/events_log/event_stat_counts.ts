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
 * Events counted without a Live Events entry of their own: the delivered (or skipped) events of a
 * batch-mode connection whose driver logs each batch as `bulker_batch` entries (one per table, so a count
 * of rows, not of events). They are counted from the driver's per-event results, in the same commit as
 * the rest of the chunk.
 */
export interface StatCount {
  workspaceId: string;
  /** The connection. */
  actorId: string;
  status: EventStatStatus;
  events: number;
  /** Defaults to now. */
  timestamp?: Date;
}

/**
 * The status an entry counts as, or null when it counts as nothing (function logs, batch summaries:
 * a batch-mode event is counted by its failed `bulker_stream` entry or, delivered, by a
 * {@linkcode StatCount}).
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

/**
 * Sums entries and `counts` (connections' events counted without an entry) per (workspace, source,
 * status, minute). `incoming` entries' source is a stream.
 */
export function statDeltas(entries: readonly StatEntry[], now: Date, counts: readonly StatCount[] = []): {
  connections: ConnectionStatDelta[];
  streams: ConnectionStatDelta[];
} {
  const byKey = new Map<string, ConnectionStatDelta & { stream: boolean }>();
  // A chunk's entries mostly repeat the one before (one connection, one status, one minute): those add to
  // it without a key of their own.
  let last: (ConnectionStatDelta & { stream: boolean }) | null = null;
  let lastMs = NaN;
  function add(
    workspaceId: string,
    actorId: string,
    status: EventStatStatus,
    at: Date,
    n: number,
    stream: boolean,
  ) {
    const ms = Math.floor(at.getTime() / 60_000) * 60_000;
    if (
      last !== null && ms === lastMs && last.workspaceId === workspaceId && last.connectionId === actorId &&
      last.status === status && last.stream === stream
    ) {
      last.events += n;
      return;
    }
    const key = `${workspaceId}\n${actorId}\n${status}\n${ms}\n${stream}`;
    let d = byKey.get(key);
    if (d) d.events += n;
    else {
      d = { workspaceId, connectionId: actorId, status, minute: new Date(ms), events: n, stream };
      byKey.set(key, d);
    }
    last = d;
    lastMs = ms;
  }
  for (const e of entries) {
    const status = statStatusOf(e);
    if (status !== null) add(e.workspaceId, e.actorId, status, e.timestamp ?? now, 1, e.type === "incoming");
  }
  for (const c of counts) {
    if (c.events > 0) add(c.workspaceId, c.actorId, c.status, c.timestamp ?? now, c.events, false);
  }
  const connections: ConnectionStatDelta[] = [], streams: ConnectionStatDelta[] = [];
  for (const { stream, ...d } of byKey.values()) (stream ? streams : connections).push(d);
  return { connections, streams };
}
