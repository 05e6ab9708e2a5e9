/** Committing a processed chunk of queue rows in one statement (src/pipeline/process_batch.ts). */
import type { Queryable } from "./db.ts";
import { type ConnectionStatDelta, deltasJson, UPSERT_STAT } from "./event_stat_repo.ts";
import type { EventLogInsert } from "./events_log_repo.ts";
import { leaseHeld } from "./queue_repo.ts";

/** Separates the values of one column in a single text parameter (as src/store/ingest_repo.ts does). */
const RS = "\x1e";

/** What one chunk's commit writes besides deleting its rows. */
export interface ChunkCommit {
  /** Queue rows to delete (processed). */
  deleteIds: readonly string[];
  /**
   * Queue rows to turn into waiting batch rows of one connection each, in place and unleased (a stream row
   * delivered to its other connections whose batch-mode connection gets it later: src/pipeline/batch_mode.ts).
   */
  park?: readonly { id: string; connectionId: string }[];
  /**
   * The lease tokens the rows were claimed with (leasesOf in queue_repo.ts): rows leased with another
   * (claimed by someone else after this claim's lease ran out) are neither deleted nor parked. Null: no check.
   */
  leases?: string | null;
  /** Live Events entries to append. */
  entries: readonly EventLogInsert[];
  /** Statistics rollup counts of connections (src/events_log/event_stat_counts.ts). */
  connectionStats: readonly ConnectionStatDelta[];
  /** Statistics rollup counts of streams. */
  streamStats: readonly ConnectionStatDelta[];
}

const COL = (n: number) => `string_to_array($${n}, E'\\x1e')`;
const BOTH = `cross join (values ('minute'), ('hour')) as g(g)`;

// One statement, whatever the chunk holds, so its text never changes and it is prepared once per
// connection. Data-modifying CTEs all run, whether or not the outer query reads them. The rollup rows are
// written in key order (as addConnectionStats does), so concurrent commits lock them in one order.
const COMMIT_SQL = `with gone as (
    delete from event_queue where id = any(string_to_array($1, ',')::bigint[]) and ${leaseHeld(12)}),
  parked as (
    update event_queue q set batch = true, connection_id = v.conn, locked_until = null, lease = null
      from unnest(string_to_array($10, ',')::bigint[], ${COL(11)}) as v(id, conn)
     where q.id = v.id and ${leaseHeld(12)}),
  logged as (
    insert into events_log (workspace_id, actor_id, type, level, timestamp, message)
    select w, a, t, l, ts::timestamptz, m
      from unnest(${COL(2)}, ${COL(3)}, ${COL(4)}, ${COL(5)}, ${COL(6)}, ${COL(7)}) as e(w, a, t, l, ts, m)),
  conn_stat as (
    insert into event_stat (workspace_id, period, granularity, stream_id, connection_id, destination_id, status, events)
    select x.w, date_trunc(g.g, x.p), g.g, coalesce(c.from_id, ''), x.c, coalesce(c.to_id, ''), x.s, sum(x.n)
      from json_to_recordset($8::json) as x(w text, c text, s text, p timestamptz, n bigint)
      left join config_objects c on c.workspace_id = x.w and c.id = x.c and c.type = 'connection'
      ${BOTH}
     group by 1, 2, 3, 4, 5, 6, 7 order by 1, 2, 3, 4, 5, 6, 7
    ${UPSERT_STAT})
  insert into event_stat (workspace_id, period, granularity, stream_id, connection_id, destination_id, status, events)
  select x.w, date_trunc(g.g, x.p), g.g, x.c, '', '', x.s, sum(x.n)
    from json_to_recordset($9::json) as x(w text, c text, s text, p timestamptz, n bigint) ${BOTH}
   group by 1, 2, 3, 4, 7 order by 1, 2, 3, 4, 7
  ${UPSERT_STAT}`;

/**
 * The end of a chunk in one statement, so atomic without a transaction: deletes the processed rows, parks
 * the rows that wait for a batch, appends their Live Events entries and adds their counts to the statistics
 * rollup. Each column of the
 * entries travels as one text parameter, its values separated by RS (JSON text never holds a raw RS:
 * JSON.stringify escapes it), so postgres.js does not escape every character of an array parameter (its
 * array serializer was 7% of the pipeline's CPU). One round trip, where BEGIN, a DELETE, a multi-row
 * INSERT (too many parameters to prepare: two round trips), two rollup upserts and COMMIT took seven.
 * Returns false, having done nothing, when a value holds RS or is empty (string_to_array would lose it):
 * the caller then commits the usual way.
 */
export async function commitChunk(db: Queryable, c: ChunkCommit): Promise<boolean> {
  const w: string[] = [], a: string[] = [], t: string[] = [], l: string[] = [], ts: string[] = [];
  const m: string[] = [];
  const park = c.park ?? [];
  if (park.some((p) => !safe(p.connectionId))) return false;
  for (const e of c.entries) {
    if (!safe(e.workspaceId) || !safe(e.actorId) || !safe(e.type) || !safe(e.level) || !safe(e.messageJson)) {
      return false;
    }
    w.push(e.workspaceId);
    a.push(e.actorId);
    t.push(e.type);
    l.push(e.level);
    ts.push(e.timestamp.toISOString());
    m.push(e.messageJson);
  }
  await db.query(COMMIT_SQL, [
    c.deleteIds.join(","),
    ...[w, a, t, l, ts, m].map((col) => col.join(RS)),
    deltasJson(c.connectionStats),
    deltasJson(c.streamStats),
    park.map((p) => p.id).join(","),
    park.map((p) => p.connectionId).join(RS),
    c.leases ?? null,
  ]);
  return true;
}

function safe(s: string): boolean {
  return s.length > 0 && !s.includes(RS);
}
