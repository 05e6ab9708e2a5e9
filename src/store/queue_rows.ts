/**
 * Claimed queue rows as the pipeline reads them (src/store/queue_repo.ts claims them): a stored row's
 * payload, or a row of ingest's whose payload is built from its `incoming` entry when first read.
 */
import { queuePayloadOfIncoming } from "./ingest_repo.ts";

/** A claimed row. */
export interface QueueRow {
  id: string;
  workspaceId: string;
  streamId: string;
  connectionId: string | null;
  /**
   * The pipeline payload's JSON text; for a row ingest wrote, rebuilt from its `incoming` entry. Null
   * only when that entry is gone or unreadable (retention never deletes a queued event's entry, and the
   * database refuses to: migration 9): the pipeline drops such a row.
   */
  payloadJson: string | null;
  /**
   * The object `payloadJson` was written from, when it was built from the `incoming` entry (on first
   * reading, not at the claim): a fresh object nothing else refers to, so the first reader may take it (and
   * set this to undefined) instead of parsing the text.
   */
  parsed?: Record<string, unknown>;
  /**
   * Whether `payloadJson` was written here by JSON.stringify (from the `incoming` entry): it parses into an
   * event that serialises, where a stored `payload` may hold one nested too deep to copy (src/pipeline/poison.ts).
   */
  built?: boolean;
  /**
   * The queued event's own JSON text (`JSON.stringify` of the payload's `event`), when the payload was built
   * here: what a delivery of the unchanged event sends, without serialising it again.
   */
  eventJson?: string;
  attempts: number;
  availableAt: Date;
  /** Whether the row waits for its connection's batch (see {@linkcode QueueInsert.batch}). */
  batch: boolean;
  /**
   * The lease token the row was claimed with ({@linkcode newLeaseToken}), when the claim had one: what its
   * commit, park, renewal or release name, so that they change nothing once another claim took the row.
   */
  lease?: string;
}

export type QueueDbRow = {
  id: string | number;
  workspace_id: string;
  stream_id: string;
  connection_id: string | null;
  payload: string | null;
  /** The `incoming` entry a row of ingest refers to (`log_id`). */
  incoming: string | null;
  attempts: number;
  available_at: Date;
  batch: boolean;
};

/**
 * A claimed row that ingest wrote: its payload is rebuilt from its `incoming` entry's text
 * (queuePayloadOfIncoming: a parse and a stringify) when first read, not at the claim. A row whose one
 * connection is in batch mode waits for its batch in memory without being read (src/pipeline/held_batches.ts
 * holds {@linkcode batchRowOf} it) and is read once, when its batch goes; building it at the claim as well
 * parsed every warehouse event twice.
 */
class IngestedRow implements QueueRow {
  readonly id: string;
  readonly workspaceId: string;
  readonly streamId: string;
  readonly connectionId: string | null;
  readonly attempts: number;
  readonly availableAt: Date;
  readonly batch: boolean;
  readonly lease?: string;
  readonly #incoming: string;
  /** undefined: not built yet; null: the entry is unreadable. */
  #json: string | null | undefined = undefined;
  #parsed: Record<string, unknown> | undefined = undefined;
  #eventJson: string | undefined = undefined;

  /** `connectionId` and `batch` override the row's (a held batch row's copy, without another object). */
  constructor(row: RowFacts, incoming: string, connectionId = row.connectionId, batch = row.batch) {
    this.id = row.id;
    this.workspaceId = row.workspaceId;
    this.streamId = row.streamId;
    this.connectionId = connectionId;
    this.attempts = row.attempts;
    this.availableAt = row.availableAt;
    this.batch = batch;
    if (row.lease) this.lease = row.lease;
    this.#incoming = incoming;
  }

  #build(): string | null {
    if (this.#json === undefined) {
      const built = queuePayloadOfIncoming(this.#incoming);
      this.#json = built?.json ?? null;
      this.#parsed = built?.payload;
      this.#eventJson = built?.eventJson;
    }
    return this.#json;
  }

  get payloadJson(): string | null {
    return this.#build();
  }

  get parsed(): Record<string, unknown> | undefined {
    this.#build();
    return this.#parsed;
  }

  set parsed(value: Record<string, unknown> | undefined) {
    this.#build();
    this.#parsed = value;
  }

  get eventJson(): string | undefined {
    this.#build();
    return this.#eventJson;
  }

  get built(): boolean {
    return this.#build() !== null;
  }

  /** The same queue row as one connection's batch row, not built (only its entry's text is kept). */
  forBatch(connectionId: string): IngestedRow {
    return new IngestedRow(this, this.#incoming, connectionId, true);
  }
}

/** A claimed row's facts, without its payload. */
type RowFacts = Omit<QueueRow, "payloadJson" | "parsed" | "built" | "eventJson">;

/**
 * A claimed stream row as the waiting batch row of `connectionId` it becomes (held in memory for its batch):
 * without the object its payload was parsed into, which is larger than the text and read again when the
 * batch goes; a row of ingest's keeps only its entry's text and is not built until then.
 */
export function batchRowOf(row: QueueRow, connectionId: string): QueueRow {
  if (row instanceof IngestedRow) return row.forBatch(connectionId);
  return { ...row, parsed: undefined, connectionId, batch: true };
}

export function toQueueRows(rows: QueueDbRow[], lease: string | null): QueueRow[] {
  const out = rows.map((r): QueueRow => {
    const facts: RowFacts = {
      id: String(r.id),
      workspaceId: r.workspace_id,
      streamId: r.stream_id,
      connectionId: r.connection_id,
      attempts: Number(r.attempts),
      availableAt: r.available_at instanceof Date ? r.available_at : new Date(r.available_at),
      batch: r.batch === true,
    };
    if (lease) facts.lease = lease;
    return r.payload === null && r.incoming !== null
      ? new IngestedRow(facts, r.incoming)
      : { ...facts, payloadJson: r.payload };
  });
  return out.sort((a, b) => Number(a.id) - Number(b.id));
}
