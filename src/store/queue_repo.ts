import type { Queryable } from "./db.ts";
import { type QueueDbRow, type QueueRow, toQueueRows } from "./queue_rows.ts";
import { insertRows } from "./multi_row_insert.ts";

/** A queue row to insert: `payloadJson` is the JSON text of the pipeline payload. */
export interface QueueInsert {
  workspaceId: string;
  streamId: string;
  /** null: every live connection of the stream; set: only this one (a retry or a replay). */
  connectionId: string | null;
  payloadJson: string;
  attempts: number;
  availableAt: Date;
  lastError?: string | null;
  /** A batch-mode connection's row: waits for its batch (claimBatchRows), never for claimQueueRows. */
  batch?: boolean;
}

/**
 * A token for one claimer's leases (a pipeline instance's): a random positive 53-bit integer, as text. Rows
 * claimed with it can be changed with it only (migration 14).
 */
export function newLeaseToken(): string {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return String((hi & 0x1fffff) * 2 ** 32 + lo + 1);
}

/**
 * The SQL condition "the row's lease is one of `leases`" for the text parameter `$n` (the tokens joined by
 * commas, or null: no check, for callers that claim without a token).
 */
export const leaseHeld = (n: number) =>
  `($${n}::text is null or lease = any(string_to_array($${n}, ',')::bigint[]))`;

/** The `leaseHeld` parameter of rows: their distinct tokens, or null when none has one. */
export function leasesOf(rows: readonly { lease?: string }[]): string | null {
  const set = new Set<string>();
  for (const r of rows) if (r.lease) set.add(r.lease);
  return set.size ? [...set].join(",") : null;
}

// A row ingest wrote has no payload but the id of its `incoming` entry: a primary-key probe per row.
const RETURNING = `returning q.id, q.workspace_id, q.stream_id, q.connection_id, q.payload,
  (select e.message from events_log e where e.id = q.log_id) as incoming, q.attempts, q.available_at, q.batch`;

// 8 parameters a row; PostgreSQL allows 65535 parameters a statement.
/** Rows per multi-row INSERT statement (queue rows and dead letters; 8 parameters a queue row). */
export const INSERT_CHUNK = 5000;

const QUEUE_COLUMNS = [
  "workspace_id",
  "stream_id",
  "connection_id",
  "payload",
  "attempts",
  "available_at",
  "last_error",
  "batch",
];

/** Inserts rows with multi-row VALUES statements (multi_row_insert.ts). */
export async function insertQueueRows(db: Queryable, rows: readonly QueueInsert[]): Promise<void> {
  await insertRows(db, "event_queue", QUEUE_COLUMNS, rows, (r) => [
    r.workspaceId,
    r.streamId,
    r.connectionId,
    r.payloadJson,
    r.attempts,
    r.availableAt,
    r.lastError ?? null,
    r.batch === true,
  ], INSERT_CHUNK);
}

/**
 * Leases up to `limit` ready rows until `leaseUntil`. `FOR UPDATE SKIP LOCKED` lets concurrent claimers
 * (other workers, other instances) take disjoint rows without waiting; the lease keeps a row away from
 * them while it is processed outside any transaction, and frees it if this instance dies.
 */
export async function claimQueueRows(
  db: Queryable,
  { now, leaseUntil, limit, skipStreams = [], skipConnections = [], lease = null }: {
    now: Date;
    leaseUntil: Date;
    limit: number;
    /** The claimer's lease token ({@linkcode newLeaseToken}); without one the rows are leased to no one. */
    lease?: string | null;
    /**
     * Streams (`workspaceId/streamId`) whose rows for every connection are not wanted now (their lane is
     * full: src/pipeline/lanes.ts).
     */
    skipStreams?: readonly string[];
    /** Connections (`workspaceId/connectionId`) whose own rows (retries, replays) are not wanted now. */
    skipConnections?: readonly string[];
  },
): Promise<QueueRow[]> {
  const rows = await db.query<QueueDbRow>(
    `update event_queue q set locked_until = $2, lease = $6::bigint
       from (select id from event_queue
              where not batch and available_at <= $1 and (locked_until is null or locked_until <= $1)
                and not (connection_id is null and workspace_id || '/' || stream_id = any($4::text[]))
                and not (connection_id is not null and workspace_id || '/' || connection_id = any($5::text[]))
              order by available_at, id
              limit $3
              for update skip locked) c
      where q.id = c.id
      ${RETURNING}`,
    [now, leaseUntil, limit, [...skipStreams], [...skipConnections], lease],
  );
  return toQueueRows(rows, lease);
}

/**
 * Turns claimed stream rows into waiting batch rows of one connection each, in place (they keep their
 * reference to the `incoming` entry: no copy of the event is written), unleased.
 */
export async function parkForBatch(
  db: Queryable,
  rows: readonly { id: string; connectionId: string; lease?: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `update event_queue q set batch = true, connection_id = v.conn, locked_until = null, lease = null
       from (select unnest($1::bigint[]) as id, unnest($2::text[]) as conn) v
      where q.id = v.id and ${leaseHeld(3)}`,
    [rows.map((r) => Number(r.id)), rows.map((r) => r.connectionId), leasesOf(rows)],
  );
}

/**
 * Puts a row whose processing threw back on the queue as a failed attempt: `attempts` + 1, ready again
 * at `availableAt`, with the error, unleased (src/pipeline/poison.ts).
 */
export async function failQueueRow(
  db: Queryable,
  { id, availableAt, error, lease }: { id: string; availableAt: Date; error: string; lease?: string },
): Promise<void> {
  await db.query(
    `update event_queue set attempts = attempts + 1, available_at = $2, last_error = $3, locked_until = null,
            lease = null
      where id = $1 and ${leaseHeld(4)}`,
    [Number(id), availableAt, error, lease ?? null],
  );
}

/** Ready, unleased batch rows of one connection, as the batch pass sees them before claiming. */
export interface BatchGroup {
  workspaceId: string;
  streamId: string;
  connectionId: string;
  /** Ready rows, counted up to the cap given to {@linkcode pendingBatchGroups}. */
  count: number;
  oldest: Date;
  /** Highest attempts among them: above 0, a failed batch is waiting for its retry. */
  maxAttempts: number;
}

/**
 * One connection's waiting batch rows, as {@linkcode pendingBatchGroups} counts them, or null when it has
 * none ready: a look at one connection (the `event_queue_batch` index) where a pass asks again about it.
 */
export async function pendingBatchGroup(
  db: Queryable,
  now: Date,
  workspaceId: string,
  connectionId: string,
): Promise<{ count: number; oldest: Date; maxAttempts: number } | null> {
  const [r] = await db.query<{ waiting: number; oldest: Date | null; max_attempts: number | null }>(
    `select count(*)::int as waiting, min(available_at) as oldest, max(attempts)::int as max_attempts
       from event_queue
      where batch and connection_id = $2 and workspace_id = $3
        and available_at <= $1 and (locked_until is null or locked_until <= $1)`,
    [now, connectionId, workspaceId],
  );
  if (!r || Number(r.waiting) === 0 || r.oldest === null) return null;
  return { count: Number(r.waiting), oldest: new Date(r.oldest), maxAttempts: Number(r.max_attempts ?? 0) };
}

/**
 * The connections with ready batch rows (batch mode, src/pipeline/batch_mode.ts), each with how many
 * wait and since when. Meant to read the partial index `event_queue_batch` only.
 */
export async function pendingBatchGroups(db: Queryable, now: Date): Promise<BatchGroup[]> {
  // Every batch pass (once a second per instance) asks, and usually there is no batch row at all. With a
  // long queue of stream rows the planner's estimate of batch rows went far off (473,900 estimated, none
  // there, while a 1,000,000-event backlog drained) and the grouping below ran with parallel workers: 170-350
  // ms of PostgreSQL CPU per call. Ordered by the partial index's columns, this probe reads that index only
  // (0.2 ms), where `where batch limit 1` alone walked the table (200 ms).
  const any = await db.query(
    "select 1 from event_queue where batch order by connection_id, available_at, id limit 1",
  );
  if (any.length === 0) return [];
  const rows = await db.query<{
    workspace_id: string;
    stream_id: string;
    connection_id: string;
    n: number;
    oldest: Date;
    max_attempts: number;
  }>(
    `select workspace_id, stream_id, connection_id, count(*)::int as n, min(available_at) as oldest,
            max(attempts)::int as max_attempts
       from event_queue
      where batch and available_at <= $1 and (locked_until is null or locked_until <= $1)
      group by workspace_id, stream_id, connection_id
      order by min(available_at)`,
    [now],
  );
  return rows.map((r) => ({
    workspaceId: r.workspace_id,
    streamId: r.stream_id,
    connectionId: r.connection_id,
    count: Number(r.n),
    oldest: new Date(r.oldest),
    maxAttempts: Number(r.max_attempts),
  }));
}

/**
 * Leases up to `limit` ready batch rows of one connection, oldest first, with the same `FOR UPDATE
 * SKIP LOCKED` plus lease as {@linkcode claimQueueRows}: two instances flushing one connection at
 * once take disjoint rows, so no event is written twice.
 */
export async function claimBatchRows(
  db: Queryable,
  { workspaceId, connectionId, now, leaseUntil, limit, lease = null }: {
    workspaceId: string;
    connectionId: string;
    now: Date;
    leaseUntil: Date;
    limit: number;
    /** The claimer's lease token, as for {@linkcode claimQueueRows}. */
    lease?: string | null;
  },
): Promise<QueueRow[]> {
  const rows = await db.query<QueueDbRow>(
    `update event_queue q set locked_until = $4, lease = $6::bigint
       from (select id from event_queue
              where batch and connection_id = $2 and workspace_id = $1 and available_at <= $3
                and (locked_until is null or locked_until <= $3)
              order by available_at, id
              limit $5
              for update skip locked) c
      where q.id = c.id
      ${RETURNING}`,
    [workspaceId, connectionId, now, leaseUntil, limit, lease],
  );
  return toQueueRows(rows, lease);
}

/** Deletes processed rows; with `leases` (leasesOf the claimed rows) only those still leased with them. */
export async function deleteQueueRows(
  db: Queryable,
  ids: readonly string[],
  leases: string | null = null,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(`delete from event_queue where id = any($1::bigint[]) and ${leaseHeld(2)}`, [
    ids.map(Number),
    leases,
  ]);
}

/**
 * Ends the lease of rows this instance will not process (shutdown): others may take them at once. With
 * `leases`, only of rows still leased with them.
 */
export async function releaseQueueRows(
  db: Queryable,
  ids: readonly string[],
  leases: string | null = null,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `update event_queue set locked_until = null, lease = null where id = any($1::bigint[]) and ${
      leaseHeld(2)
    }`,
    [ids.map(Number), leases],
  );
}

/** Rows in the queue, counted up to `cap` (bounded cost on a long queue). */
export async function countQueueRows(db: Queryable, cap: number): Promise<number> {
  const rows = await db.query<{ n: number }>(
    "select count(*)::int as n from (select 1 from event_queue limit $1) q",
    [cap],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * The queue's depth for back-pressure, at most `cap`: never lower than the true count, exact near the cap.
 * Counting reads every row it counts (321 ms for 100k rows here, a CPU burst that showed up as p99 spikes in
 * bench/ingest.ts), while the id span (max - min + 1: two probes of the primary key) bounds the count from
 * above. So while the span is under half the cap it is the answer, and rows are counted only beyond.
 */
export async function queueDepth(db: Queryable, cap: number): Promise<number> {
  const rows = await db.query<{ span: string | null }>(
    "select (max(id) - min(id) + 1)::text as span from event_queue",
  );
  const span = rows[0]?.span == null ? 0 : Number(rows[0].span);
  if (span * 2 < cap) return span;
  return await countQueueRows(db, cap);
}

/** When the oldest queue row was written (by id, so one probe of the primary key); null when empty. */
export async function oldestQueuedAt(db: Queryable): Promise<Date | null> {
  const rows = await db.query<{ created_at: Date | string }>(
    "select created_at from event_queue order by id limit 1",
  );
  return rows[0] ? new Date(rows[0].created_at) : null;
}

/** Extends the lease of rows still being processed (a long batch must not be taken by another worker). */
export async function extendQueueLease(
  db: Queryable,
  ids: readonly string[],
  leaseUntil: Date,
  leases: string | null = null,
): Promise<void> {
  if (ids.length === 0) return;
  // A row whose lease was ended meanwhile (parked for its batch, failed, released) stays unleased, and one
  // another claimer took after its lease ran out stays theirs.
  await db.query(
    `update event_queue set locked_until = $2
      where id = any($1::bigint[]) and locked_until is not null and ${leaseHeld(3)}`,
    [ids.map(Number), leaseUntil, leases],
  );
}
