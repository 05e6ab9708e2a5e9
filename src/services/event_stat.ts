/**
 * Event statistics: counts per period, stream, connection, destination and status from the rollup
 * (src/store/event_stat_repo.ts), for the console's chart, `GET /api/{ws}/stat` and `get_event_stat`.
 * Jitsu's arguments (its `reports/event-stat`: workspaceId, start, end, granularity) plus optional
 * filters; counts only, never an event. Every member may read them, analysts too.
 */
import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { EVENT_STAT_STATUSES } from "../events_log/event_stat_counts.ts";
import { ValidationError } from "../errors.ts";
import { selectEventStats } from "../store/event_stat_repo.ts";
import { parseInput } from "../validation.ts";
import { resolveWorkspace } from "./workspaces.ts";

export const STAT_GRANULARITIES = ["minute", "hour", "day"] as const;
export type StatGranularity = typeof STAT_GRANULARITIES[number];
/** The longest span one call may cover: the rollup keeps 90 days. */
const MAX_SPAN_MS = 92 * 24 * 3600 * 1000;
/** Minute granularity returns one row per minute and source: at most a day of them. */
const MAX_MINUTE_SPAN_MS = 24 * 3600 * 1000;
const DEFAULT_SPAN_MS = 24 * 3600 * 1000;

const DateArg = v.pipe(
  v.string("must be a string"),
  v.check(
    (s) => !Number.isNaN(Date.parse(s)),
    "must be an ISO 8601 date or date-time, e.g. 2026-01-31T00:00:00Z",
  ),
);
const IdList = v.union([
  v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty")),
  v.pipe(
    v.array(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
    v.minLength(1, "must not be empty"),
  ),
], "must be an id or a list of ids");

const STATUS_MESSAGE = `must be one or a list of ${EVENT_STAT_STATUSES.join(", ")}`;

/** Arguments of `get_event_stat` and the query of `GET /api/{ws}/stat`. */
export const EventStatInput = v.object({
  workspaceId: v.pipe(
    v.string("must be a string"),
    v.minLength(1, "required"),
    v.description("Workspace id or slug (from list_workspaces)."),
  ),
  start: v.optional(
    v.pipe(DateArg, v.description("Start, inclusive (ISO 8601). Default: 24 hours before end.")),
  ),
  end: v.optional(v.pipe(DateArg, v.description("End, exclusive (ISO 8601). Default: now."))),
  granularity: v.optional(
    v.pipe(
      v.picklist(STAT_GRANULARITIES, `must be one of ${STAT_GRANULARITIES.join(", ")}`),
      v.description(
        "Period of each row: hour (default), day, or minute (spans of at most a day). Minute counts " +
          "are kept 7 days, hour counts 90 days; hour and day rows count whole hours (the hour of start " +
          "included).",
      ),
    ),
  ),
  streamId: v.optional(v.pipe(IdList, v.description("Only these streams (ids). Default: all."))),
  connectionId: v.optional(v.pipe(IdList, v.description("Only these connections (ids). Default: all."))),
  status: v.optional(
    v.pipe(
      IdList,
      v.description(
        "Only these statuses: incoming (accepted by a stream), error (refused by a stream, or a failed " +
          "delivery attempt of a connection), delivered, skipped, dropped (by a function), dead_letter.",
      ),
    ),
  ),
});
export type EventStatQuery = v.InferInput<typeof EventStatInput>;

/** One row: Jitsu's report row (`period, workspaceId, streamId, connectionId, destinationId, status, events`). */
export interface EventStatRecord {
  period: string;
  workspaceId: string;
  streamId: string | null;
  connectionId: string | null;
  destinationId: string | null;
  status: string;
  events: number;
}

export interface EventStatResult {
  rows: EventStatRecord[];
  start: string;
  end: string;
  granularity: StatGranularity;
  /** Sum of `events` per status over the whole span. */
  totals: Record<string, number>;
}

function list(x: string | string[] | undefined): string[] | null {
  return x === undefined ? null : Array.isArray(x) ? x : x.split(",").map((s) => s.trim()).filter(Boolean);
}

/**
 * Counts of events per period, newest period first. Every argument but `workspaceId` is optional:
 * the last 24 hours, all sources, by hour.
 */
export async function getEventStat(ctx: Ctx, input: unknown): Promise<EventStatResult> {
  const q = parseInput(EventStatInput, input, "Cannot read event statistics");
  const ws = await resolveWorkspace(ctx, q.workspaceId);
  const end = q.end ? new Date(q.end) : ctx.clock.now();
  const start = q.start ? new Date(q.start) : new Date(end.getTime() - DEFAULT_SPAN_MS);
  const granularity = q.granularity ?? "hour";
  const fail = (path: string, message: string) =>
    new ValidationError(`Cannot read event statistics: ${path}: ${message}`, [{ path, message }]);
  if (start.getTime() >= end.getTime()) throw fail("start", "must be before end");
  if (end.getTime() - start.getTime() > MAX_SPAN_MS) throw fail("start", "the span must be at most 92 days");
  if (granularity === "minute" && end.getTime() - start.getTime() > MAX_MINUTE_SPAN_MS) {
    throw fail("granularity", "minute needs a span of at most 24 hours");
  }
  const statuses = list(q.status);
  const unknown = statuses?.find((x) => !(EVENT_STAT_STATUSES as readonly string[]).includes(x));
  if (unknown !== undefined) throw fail("status", `${STATUS_MESSAGE} (got "${unknown}")`);
  const rows = await selectEventStats(ctx.db, {
    workspaceId: ws.id,
    start,
    end,
    granularity,
    streamIds: list(q.streamId),
    connectionIds: list(q.connectionId),
    statuses,
  });
  const totals: Record<string, number> = {};
  const out = rows.map((r): EventStatRecord => {
    const events = Number(r.events);
    totals[r.status] = (totals[r.status] ?? 0) + events;
    return {
      period: new Date(r.period).toISOString(),
      workspaceId: ws.id,
      streamId: r.stream_id || null,
      connectionId: r.connection_id || null,
      destinationId: r.destination_id || null,
      status: r.status,
      events,
    };
  });
  return { rows: out, start: start.toISOString(), end: end.toISOString(), granularity, totals };
}
