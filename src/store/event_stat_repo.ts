/**
 * The event statistics rollup (table event_stat, migration 11): counts per workspace, stream,
 * connection, destination, status and period. Ingest adds its counts in its own statement
 * (src/store/ingest_repo.ts); the pipeline's come from src/events_log/event_stat_counts.ts through
 * {@linkcode addConnectionStats}, in the transaction that writes its Live Events entries.
 */
import type { Queryable } from "./db.ts";

/** One count to add: the period is the minute it happened in; `connectionId` is the source (a stream for addStreamStats). */
export interface ConnectionStatDelta {
  workspaceId: string;
  connectionId: string;
  status: string;
  minute: Date;
  events: number;
}

/** One rollup row as read back. */
export interface EventStatRow {
  period: Date;
  stream_id: string;
  connection_id: string;
  destination_id: string;
  status: string;
  events: string;
}

export const UPSERT_STAT =
  `on conflict (workspace_id, period, stream_id, connection_id, destination_id, status, granularity)
  do update set events = event_stat.events + excluded.events`;

// Every count is written twice: to its minute (the last 7 days, for short spans) and to its hour (kept 90
// days, for the overview's 24-hour and 7-day charts: reading 7 days of minutes took 4 to 10 times longer
// in bench/event_stat.ts).
const BOTH = `cross join (values ('minute'), ('hour')) as g(g)`;

/**
 * The ingest statement's part: a CTE over ingest's `d` (w, s, l, t) that counts each group's events
 * per stream, status (`incoming`, or `error` for a refused event), minute and hour.
 */
export const INGEST_STAT_CTE = `, stat as (
       insert into event_stat (workspace_id, period, granularity, stream_id, connection_id, destination_id, status, events)
       select w, date_trunc(g.g, t), g.g, s, '', '', case when l = 'error' then 'error' else 'incoming' end, count(*)
         from d ${BOTH} group by 1, 2, 3, 4, 7 order by 1, 2, 3, 4, 7
       ${UPSERT_STAT})`;

/**
 * Adds pipeline counts for connections; the stream and destination come from the connection's row
 * ('' when it is gone). Rows are written in key order so concurrent commits lock them in one order.
 */
export async function addConnectionStats(
  db: Queryable,
  deltas: readonly ConnectionStatDelta[],
): Promise<void> {
  if (deltas.length === 0) return;
  await db.query(
    `insert into event_stat (workspace_id, period, granularity, stream_id, connection_id, destination_id, status, events)
     select x.w, date_trunc(g.g, x.p), g.g, coalesce(c.from_id, ''), x.c, coalesce(c.to_id, ''), x.s, sum(x.n)
       from json_to_recordset($1::json) as x(w text, c text, s text, p timestamptz, n bigint)
       left join config_objects c on c.workspace_id = x.w and c.id = x.c and c.type = 'connection'
       ${BOTH}
      group by 1, 2, 3, 4, 5, 6, 7 order by 1, 2, 3, 4, 5, 6, 7
     ${UPSERT_STAT}`,
    [deltasJson(deltas)],
  );
}

/** Adds counts for streams (`incoming` entries appended outside ingest's statement). */
export async function addStreamStats(db: Queryable, deltas: readonly ConnectionStatDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await db.query(
    `insert into event_stat (workspace_id, period, granularity, stream_id, connection_id, destination_id, status, events)
     select x.w, date_trunc(g.g, x.p), g.g, x.c, '', '', x.s, sum(x.n)
       from json_to_recordset($1::json) as x(w text, c text, s text, p timestamptz, n bigint) ${BOTH}
      group by 1, 2, 3, 4, 7 order by 1, 2, 3, 4, 7
     ${UPSERT_STAT}`,
    [deltasJson(deltas)],
  );
}

export function deltasJson(deltas: readonly ConnectionStatDelta[]): string {
  return JSON.stringify(deltas.map((d) => ({
    w: d.workspaceId,
    c: d.connectionId,
    s: d.status,
    p: d.minute.toISOString(),
    n: d.events,
  })));
}

export interface StatFilter {
  workspaceId: string;
  start: Date;
  end: Date;
  granularity: "minute" | "hour" | "day";
  streamIds: string[] | null;
  connectionIds: string[] | null;
  statuses: string[] | null;
}

/**
 * Sums per period (truncated to the granularity), stream, connection, destination and status, newest
 * period first: from the minute rows for minutes, from the hour rows otherwise.
 */
export async function selectEventStats(db: Queryable, f: StatFilter): Promise<EventStatRow[]> {
  return await db.query<EventStatRow>(
    `select date_trunc($4, period) as period, stream_id, connection_id, destination_id, status,
            sum(events)::text as events
       from event_stat
      where workspace_id = $1 and granularity = $8 and period >= date_trunc($8, $2::timestamptz) and period < $3
        and ($5::text[] is null or stream_id = any($5))
        and ($6::text[] is null or connection_id = any($6))
        and ($7::text[] is null or status = any($7))
      group by 1, 2, 3, 4, 5
      order by 1 desc, 6 desc, 2, 3, 5`,
    [
      f.workspaceId,
      f.start,
      f.end,
      f.granularity,
      f.streamIds,
      f.connectionIds,
      f.statuses,
      f.granularity === "minute" ? "minute" : "hour",
    ],
  );
}

/** Deletes minute rows older than `minutesBefore` and every row older than `before`; returns how many. */
export async function deleteOldEventStats(
  db: Queryable,
  { minutesBefore, before }: { minutesBefore: Date; before: Date },
): Promise<{ minutes: number; hours: number }> {
  const minutes = await db.query<{ n: number }>(
    `with d as (delete from event_stat where granularity = 'minute' and period < $1 returning 1)
     select count(*)::int as n from d`,
    [minutesBefore],
  );
  const hours = await db.query<{ n: number }>(
    `with d as (delete from event_stat where period < $1 returning 1) select count(*)::int as n from d`,
    [before],
  );
  return { minutes: Number(minutes[0].n), hours: Number(hours[0].n) };
}
