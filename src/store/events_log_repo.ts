import type { Queryable } from "./db.ts";
import { insertRows } from "./multi_row_insert.ts";

/** One entry as it is written: `message` is already JSON text. */
export interface EventLogInsert {
  workspaceId: string;
  actorId: string;
  type: string;
  level: string;
  timestamp: Date;
  messageJson: string;
}

/** One entry as it is read: `message_json` is the stored JSON text, `ts_us` microseconds since the epoch. */
export interface EventLogRow {
  id: string;
  actor_id: string;
  type: string;
  level: string;
  timestamp: Date;
  ts_us: string;
  message_json: string;
}

export interface EventLogFilter {
  workspaceId: string;
  type: string;
  /** One source or several (a destination's connections); null: every source. */
  actorIds: string[] | null;
  levels: string[] | null;
  start: Date | null;
  end: Date | null;
  /** Texts of which the message must contain one, already escaped for LIKE (`\`, `%` and `_`). */
  search: string[] | null;
  limit: number;
  /** Entries strictly older than this (timestamp in microseconds, id) pair. */
  before: { tsUs: string; id: string } | null;
}

// PostgreSQL allows 65,535 parameters per statement; 6 per row keeps a chunk well under that.
const ROWS_PER_INSERT = 1000;

/** Inserts entries with multi-row INSERTs (multi_row_insert.ts). */
export async function insertEventLogEntries(
  db: Queryable,
  entries: readonly EventLogInsert[],
): Promise<void> {
  await insertRows(
    db,
    "events_log",
    ["workspace_id", "actor_id", "type", "level", "timestamp", "message"],
    entries,
    (e) => [e.workspaceId, e.actorId, e.type, e.level, e.timestamp, e.messageJson],
    ROWS_PER_INSERT,
  );
}

/**
 * Entries newest first. The message comes back as text and the timestamp also as whole microseconds,
 * so a cursor can point between two entries of the same millisecond without losing precision.
 *
 * Every read goes through the per-source index (workspace, type, actor, timestamp, id). Several sources
 * (or all of a workspace's: their ids found by a skip scan of that index, one probe per source) are read
 * each newest first up to the limit and merged. No second index by (workspace, type, timestamp) for the
 * all-sources read: it cost every Live Events insert ~13% more database CPU (bench/ingest.ts).
 */
export async function selectEventLogEntries(db: Queryable, f: EventLogFilter): Promise<EventLogRow[]> {
  if (f.actorIds !== null && f.actorIds.length === 0) return [];
  const where = ["workspace_id = $1", "type = $2"];
  const params: unknown[] = [f.workspaceId, f.type];
  function add(sql: (n: number) => string, value: unknown) {
    params.push(value);
    where.push(sql(params.length));
  }
  if (f.levels !== null) add((n) => `level = any($${n}::text[])`, f.levels);
  if (f.start !== null) add((n) => `timestamp >= $${n}`, f.start);
  if (f.end !== null) add((n) => `timestamp < $${n}`, f.end);
  if (f.search !== null && f.search.length > 0) {
    where.push(`(${
      f.search.map((text) => {
        params.push(text);
        return `message ilike '%' || $${params.length} || '%'`;
      }).join(" or ")
    })`);
  }
  if (f.before !== null) {
    params.push(f.before.tsUs, f.before.id);
    const ts = `(timestamptz 'epoch' + $${params.length - 1}::bigint * interval '1 microsecond')`;
    where.push(`(timestamp, id) < (${ts}, $${params.length}::bigint)`);
  }
  params.push(f.limit);
  const limit = `$${params.length}`;
  const columns = `id::text as id, actor_id, type, level, timestamp,
            (extract(epoch from timestamp) * 1000000)::bigint::text as ts_us, message as message_json`;
  if (f.actorIds !== null && f.actorIds.length === 1) {
    params.push(f.actorIds[0]);
    return await db.query<EventLogRow>(
      `select ${columns} from events_log where ${where.join(" and ")} and actor_id = $${params.length}
        order by timestamp desc, events_log.id desc limit ${limit}`,
      params,
    );
  }
  let actors: string;
  let recursive = "";
  if (f.actorIds !== null) {
    params.push(f.actorIds);
    actors = `select unnest($${params.length}::text[]) as actor_id`;
  } else {
    // Every source with entries of this type: one index probe each (a skip scan).
    recursive = `with recursive actors(actor_id) as (
       (select actor_id from events_log where workspace_id = $1 and type = $2 order by actor_id limit 1)
       union all
       select (select e.actor_id from events_log e
                where e.workspace_id = $1 and e.type = $2 and e.actor_id > a.actor_id order by e.actor_id limit 1)
         from actors a where a.actor_id is not null) `;
    actors = `select actor_id from actors where actor_id is not null`;
  }
  return await db.query<EventLogRow>(
    `${recursive}select e.id, e.actor_id, e.type, e.level, e.timestamp, e.ts_us, e.message_json
       from (${actors}) a
       cross join lateral (
         select id as eid, ${columns} from events_log
          where ${where.join(" and ")} and actor_id = a.actor_id
          order by timestamp desc, events_log.id desc limit ${limit}) e
      order by e.timestamp desc, e.eid desc limit ${limit}`,
    params,
  );
}

// An `incoming` entry whose event is still queued holds the event (store/ingest_repo.ts): retention
// keeps it until the pipeline is done with it. The queue is bounded by QUEUE_MAX_DEPTH, and so is what
// this keeps. The queue has no index on log_id: once per run, a hash anti-join reads it whole.
const NOT_QUEUED = "not exists (select 1 from event_queue q where q.log_id = e.id)";

/** Deletes entries older than `before`; returns how many. */
export async function deleteEventLogOlderThan(db: Queryable, before: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `with d as (delete from events_log e where timestamp < $1 and ${NOT_QUEUED} returning 1)
     select count(*)::int as n from d`,
    [before],
  );
  return Number(rows[0].n);
}

/**
 * Keeps the newest `keep` entries of every (workspace, actor, type), counting errors apart from the
 * rest, so a burst of successes never pushes the errors someone is looking for out of the log.
 */
export async function deleteEventLogOverflow(db: Queryable, keep: number): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `with ranked as (
       select id, row_number() over (
         partition by workspace_id, actor_id, type, (level = 'error') order by timestamp desc, events_log.id desc) as rn
       from events_log),
     d as (delete from events_log e using ranked r where e.id = r.id and r.rn > $1 and ${NOT_QUEUED} returning 1)
     select count(*)::int as n from d`,
    [keep],
  );
  return Number(rows[0].n);
}

/** Takes a transaction-scoped advisory lock if free: one instance runs retention at a time. */
export async function tryRetentionLock(db: Queryable, key: number): Promise<boolean> {
  const rows = await db.query<{ ok: boolean }>("select pg_try_advisory_xact_lock($1) as ok", [key]);
  return rows[0].ok === true;
}
