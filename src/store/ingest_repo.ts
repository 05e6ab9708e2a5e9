/**
 * Ingest's write: the `incoming` Live Events entries of all events and, for accepted events, queue rows
 * that refer to them, together in one statement (src/ingest/writer.ts groups concurrent requests into
 * it). An event's JSON is stored once, inside its entry; the pipeline rebuilds the queue payload from the
 * entry when it claims the row ({@linkcode queuePayloadFromIncoming}).
 */
import type { Queryable } from "./db.ts";
import { INGEST_STAT_CTE } from "./event_stat_repo.ts";

/** One accepted or refused event: its `incoming` Live Events entry, and whether it is queued. */
export interface IngestedInsert {
  workspaceId: string;
  streamId: string;
  level: string;
  timestamp: Date;
  /**
   * The `incoming` entry's message, JSON text: Jitsu's IncomingLogContent fields `{status, error?,
   * asyncDestinations?, body}` with `body` the ingest message as an object, last (Jitsu's is a JSON string,
   * first: see {@linkcode incomingAsJitsu}).
   * src/ingest/ingest.ts builds it.
   */
  messageJson: string;
  /** Whether the event goes to the queue (accepted, and the stream has connections). */
  queued: boolean;
}

// ASCII record separator: JSON.stringify escapes every control character, so the JSON texts ingest
// builds never contain it raw (insertIngested checks, and falls back when one does).
const RS = "\x1e";

/**
 * Writes the `incoming` entries and the queue rows of the queued ones (for every connection:
 * `connection_id` null, 0 attempts, available at once, `log_id` = the entry) in ONE statement: a
 * data-modifying CTE runs exactly once and a statement is atomic, so they are durable together or not
 * at all, in one round trip.
 *
 * The group travels as six text parameters, one per column, its values joined by a record separator and
 * split by `string_to_array`: the driver encodes six strings however many events there are (per-parameter
 * cost in postgres.js dominated ingest's CPU with parameters per event). Storing each event once, in
 * text columns that PostgreSQL does not parse, took the database's CPU per batched event from ~39 µs to
 * ~29 µs (bench/ingest.ts, 1000-event statements; migration 0009 says why). The events_log columns mirror
 * store/events_log_repo.ts.
 */
export async function insertIngested(db: Queryable, items: readonly IngestedInsert[]): Promise<void> {
  if (items.length === 0) return;
  const w: string[] = [], s: string[] = [], l: string[] = [], t: string[] = [], m: string[] = [];
  const q: string[] = [];
  let lastDate: Date | null = null, lastIso = "";
  for (const x of items) {
    w.push(x.workspaceId);
    s.push(x.streamId);
    l.push(x.level);
    // The events of one request share one Date.
    if (x.timestamp !== lastDate) lastIso = (lastDate = x.timestamp).toISOString();
    t.push(lastIso);
    m.push(x.messageJson);
    q.push(x.queued ? "1" : "0");
  }
  const columns = [w, s, l, t, m, q].map((c) => c.join(RS));
  // A value holding the separator would split in two: the joined column then has more separators than
  // values between them. Counted on the joined text, not by searching each message: a message is built by
  // concatenation, and searching it made V8 copy it into a flat string of its own first (5.6% of the bytes
  // a warehouse run of bench/pipeline.ts allocated), where the join copies it anyway.
  if (separators(columns[0]) + separators(columns[1]) + separators(columns[4]) !== 3 * (items.length - 1)) {
    await insertIngestedAsJson(db, items);
    return;
  }
  await db.query(
    `with d as materialized (
       select nextval('events_log_id_seq') as id, w, s, l, t::timestamptz as t, m, q = '1' as q
         from unnest(string_to_array($1, E'\\x1e'), string_to_array($2, E'\\x1e'), string_to_array($3, E'\\x1e'),
                     string_to_array($4, E'\\x1e'), string_to_array($5, E'\\x1e'), string_to_array($6, E'\\x1e'))
              as x(w, s, l, t, m, q))
     ${INSERT_FROM_D}`,
    columns,
  );
}

/** How many record separators `text` holds. */
function separators(text: string): number {
  let n = 0;
  for (let at = text.indexOf(RS); at >= 0; at = text.indexOf(RS, at + 1)) n++;
  return n;
}

/**
 * Both tables from `d` (id, w, s, l, t, m, q), in one statement. Each entry's id is drawn in `d`, in the
 * group's order, so a queue row knows its entry's id and a batch's entries keep their order in Live Events
 * (RETURNING could only hand back ids of rows it inserted, so refused and accepted events would need two
 * inserts, and the second would number its rows after the first's). `materialized` draws each id once.
 * The sequence is the identity of events_log.id (migration 3). The statistics rollup counts the group in
 * the same statement (src/store/event_stat_repo.ts).
 */
const INSERT_FROM_D = `, logged as (
       insert into events_log (id, workspace_id, actor_id, type, level, timestamp, message) overriding system value
       select id, w, s, 'incoming', l, t, m from d)${INGEST_STAT_CTE}
     insert into event_queue (workspace_id, stream_id, log_id, available_at)
     select w, s, id, t from d where q`;

/** The same write with the group as one JSON array: for values that contain a record separator. */
export async function insertIngestedAsJson(db: Queryable, items: readonly IngestedInsert[]): Promise<void> {
  const parts = items.map((x) =>
    `{"w":${JSON.stringify(x.workspaceId)},"s":${
      JSON.stringify(x.streamId)
    },"l":"${x.level}","t":"${x.timestamp.toISOString()}","m":${
      JSON.stringify(x.messageJson)
    },"q":${x.queued}}`
  );
  await db.query(
    `with d as materialized (
       select nextval('events_log_id_seq') as id, w, s, l, t, m, q
         from json_to_recordset($1::json) as x(w text, s text, l text, t timestamptz, m text, q boolean))
     ${INSERT_FROM_D}`,
    [`[${parts.join(",")}]`],
  );
}

/**
 * The queue payload (QueuePayload in src/pipeline/queue_payload.ts: `{event, ingestType, messageId,
 * headers, receivedAt}`) of a queued event, rebuilt from its `incoming` entry, whose ingest message holds
 * the same facts under Jitsu's names. Null when the text is not such an entry.
 */
export function queuePayloadFromIncoming(messageJson: string): string | null {
  return queuePayloadOfIncoming(messageJson)?.json ?? null;
}

/**
 * {@linkcode queuePayloadFromIncoming}'s text together with the object it was written from (parsed once,
 * referred to by nothing else), so the pipeline need not parse the text again, and the event's own text
 * (`JSON.stringify(payload.event)`, which the payload's text holds), so a delivery that sends the event
 * unchanged need not find it in the payload's text or serialise it again.
 */
export function queuePayloadOfIncoming(
  messageJson: string,
): { json: string; payload: Record<string, unknown>; eventJson: string } | null {
  try {
    const stored = JSON.parse(messageJson);
    // `body` is an object as ingest stores it; a string in Jitsu's form in entries from before migration 9.
    const body = typeof stored.body === "string" ? JSON.parse(stored.body) : stored.body;
    if (typeof body !== "object" || body === null || typeof body.httpPayload !== "object") return null;
    const payload = {
      event: body.httpPayload,
      ingestType: body.ingestType,
      messageId: body.messageId,
      headers: body.httpHeaders ?? {},
      receivedAt: body.messageCreated,
    };
    const eventJson = JSON.stringify(payload.event);
    // What JSON.stringify(payload) writes, from the event's text: when a field is not a string (it would be
    // left out or written otherwise), JSON.stringify itself.
    const json = typeof payload.ingestType === "string" && typeof payload.messageId === "string" &&
        typeof payload.receivedAt === "string" && typeof payload.headers === "object" &&
        payload.headers !== null
      ? `{"event":${eventJson},"ingestType":${JSON.stringify(payload.ingestType)},"messageId":${
        JSON.stringify(payload.messageId)
      },"headers":${JSON.stringify(payload.headers)},"receivedAt":${JSON.stringify(payload.receivedAt)}}`
      : JSON.stringify(payload);
    return { json, payload, eventJson };
  } catch {
    return null;
  }
}

// How an entry that ingest writes begins, and the key that follows its other fields: `body` holds the
// ingest message as an object and comes last. The fields before it are a status, an error and id list
// that JSON.stringify wrote, so an unescaped `,"body":{` cannot occur inside them.
const STORED_START = '{"status":';
const BODY_KEY = ',"body":';

/**
 * An `incoming` entry's message in Jitsu's IncomingLogContent form: `{body, status, error?,
 * asyncDestinations?}` with `body` the ingest message as a JSON string. Ingest stores the same fields
 * with `body` as the object itself, last (one escaping pass less per event, smaller rows); this escapes
 * it once, without parsing. Entries in Jitsu's form (from before migration 9) come back unchanged.
 */
export function incomingAsJitsu(messageJson: string): string {
  if (!messageJson.startsWith(STORED_START) || !messageJson.endsWith("}")) return messageJson;
  const at = messageJson.indexOf(BODY_KEY);
  if (at < 0) return messageJson;
  const body = messageJson.slice(at + BODY_KEY.length, -1);
  return `{"body":${JSON.stringify(body)},${messageJson.slice(1, at)}}`;
}
