/**
 * The queue's message: what the pipeline reads from a claimed `event_queue` row (QueueRow.payloadJson in
 * store/queue_repo.ts). Ingest does not write it: an accepted event's row points at its `incoming` Live
 * Events entry and store/ingest_repo.ts's queuePayloadFromIncoming rebuilds this shape from it. Rows
 * written later (a retry, a dead letter replayed) carry it as `payload` text.
 */
export interface QueuePayload {
  event: Record<string, unknown>;
  ingestType: "browser" | "s2s";
  messageId: string;
  /** Request headers (secrets masked): `ctx.headers` of functions. */
  headers: Record<string, string>;
  receivedAt: string;
}

const EVENT_START = '{"event":';

/**
 * The event's own JSON text inside a payload's text, without parsing or serialising it again: the slice
 * between `{"event":` and the other four fields, when the payload was written as JSON.stringify writes
 * {@linkcode QueuePayload} (event first, then ingestType, messageId, headers, receivedAt, nothing else;
 * what queuePayloadFromIncoming and every writer of `payload` produce). The slice then equals
 * `JSON.stringify(payload.event)`. Undefined for any other shape.
 */
export function eventTextOf(payloadJson: string, payload: QueuePayload): string | undefined {
  if (!payloadJson.startsWith(EVENT_START) || Object.keys(payload).length !== 5) return undefined;
  const tail = `,"ingestType":${JSON.stringify(payload.ingestType)},"messageId":${
    JSON.stringify(payload.messageId)
  },"headers":${JSON.stringify(payload.headers)},"receivedAt":${JSON.stringify(payload.receivedAt)}}`;
  if (!payloadJson.endsWith(tail) || payloadJson.length <= EVENT_START.length + tail.length) return undefined;
  return payloadJson.slice(EVENT_START.length, payloadJson.length - tail.length);
}

/** The NOTIFY channel on which ingest (and a replay) tells idle consumer loops that rows are ready. */
export const QUEUE_CHANNEL = "sluice_queue";

/** A NOTIFY payload is at most 8000 bytes; a longer list of streams is sent as "any stream". */
const MAX_NOTIFY_CHARS = 4000;
const SEP = " ";

/**
 * The payload of a NOTIFY on {@linkcode QUEUE_CHANNEL}: the streams (`workspaceId/streamId`) that got rows,
 * or "" for rows of any stream (too many to list, or not known).
 */
export function queueNotice(streams: Iterable<string>): string {
  const text = [...new Set(streams)].join(SEP);
  return text.length > MAX_NOTIFY_CHARS ? "" : text;
}

/** The streams a {@linkcode queueNotice} names; null for any stream. */
export function noticeStreams(payload: string): string[] | null {
  return payload === "" ? null : payload.split(SEP);
}
