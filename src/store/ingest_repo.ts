/**
 * Ingest's write: the queue rows of accepted events and the `incoming` Live Events entries of all events,
 * together in one statement (src/ingest/enqueue.ts groups concurrent requests into it).
 */
import type { Queryable } from "./db.ts";

/** One accepted or refused event: its `incoming` Live Events entry, and its queue payload if queued. */
export interface IngestedInsert {
  workspaceId: string;
  streamId: string;
  level: string;
  timestamp: Date;
  /** The `incoming` entry's message, JSON text. */
  messageJson: string;
  /** The queue row's payload, JSON text; null when the event is not queued (refused or skipped). */
  payloadJson: string | null;
}

// ASCII record separator: JSON.stringify escapes every control character, so the JSON texts ingest
// builds never contain it raw (insertIngested checks, and falls back when one does).
const RS = "\x1e";

/**
 * Writes ingest's queue rows (for every connection: `connection_id` null, 0 attempts, available at
 * once) and their `incoming` entries in ONE statement: a data-modifying CTE runs exactly once and a
 * statement is atomic, so they are durable together or not at all, in one round trip.
 *
 * The group travels as six text parameters, one per column, its values joined by a record separator and
 * split by `string_to_array`: the driver encodes six strings however many events there are (per-parameter
 * cost in postgres.js dominated ingest's CPU with parameters per event), and PostgreSQL parses each JSON
 * text once, as it stores it. The previous form, one JSON array expanded by `json_to_recordset`, made
 * PostgreSQL parse every event's JSON three times: 85 µs of its CPU per event against 59 µs this way
 * (issue 6, measured with 1000-event statements). The events_log columns mirror store/events_log_repo.ts.
 */
export async function insertIngested(db: Queryable, items: readonly IngestedInsert[]): Promise<void> {
  if (items.length === 0) return;
  const w: string[] = [], s: string[] = [], l: string[] = [], t: string[] = [], m: string[] = [];
  const p: string[] = [];
  for (const x of items) {
    w.push(x.workspaceId);
    s.push(x.streamId);
    l.push(x.level);
    t.push(x.timestamp.toISOString());
    m.push(x.messageJson);
    p.push(x.payloadJson ?? ""); // "": not queued (a JSON text is never empty)
  }
  const columns = [w, s, l, t, m, p];
  if (columns.some((c) => c.some((v) => v.includes(RS)))) {
    await insertIngestedAsJson(db, items);
    return;
  }
  // A lone "" splits into no element at all; unnest pads the shorter arrays with nulls, and a null
  // payload is "not queued" too.
  await db.query(
    `with d as (select * from unnest(string_to_array($1, E'\\x1e'), string_to_array($2, E'\\x1e'),
                   string_to_array($3, E'\\x1e'), string_to_array($4, E'\\x1e'), string_to_array($5, E'\\x1e'),
                   string_to_array($6, E'\\x1e')) as x(w, s, l, t, m, p)),
     queued as (
       insert into event_queue (workspace_id, stream_id, payload, available_at)
       select w, s, p::json, t::timestamptz from d where p <> '')
     insert into events_log (workspace_id, actor_id, type, level, timestamp, message)
     select w, s, 'incoming', l, t::timestamptz, m::json from d`,
    columns.map((c) => c.join(RS)),
  );
}

/** The same write with the group as one JSON array: for values that contain a record separator. */
export async function insertIngestedAsJson(db: Queryable, items: readonly IngestedInsert[]): Promise<void> {
  const parts = items.map((x) =>
    `{"w":${JSON.stringify(x.workspaceId)},"s":${
      JSON.stringify(x.streamId)
    },"l":"${x.level}","t":"${x.timestamp.toISOString()}","m":${x.messageJson},"p":${
      x.payloadJson ?? "null"
    }}`
  );
  await db.query(
    `with d as (select * from json_to_recordset($1::json) as x(w text, s text, l text, t timestamptz, m json, p json)),
     queued as (
       insert into event_queue (workspace_id, stream_id, payload, available_at)
       select w, s, p, t from d where p is not null)
     insert into events_log (workspace_id, actor_id, type, level, timestamp, message)
     select w, s, 'incoming', l, t, m from d`,
    [`[${parts.join(",")}]`],
  );
}
