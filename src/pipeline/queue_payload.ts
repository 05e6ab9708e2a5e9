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

/** The NOTIFY channel on which ingest (and a replay) tells idle consumer loops that rows are ready. */
export const QUEUE_CHANNEL = "sluice_queue";
