/**
 * The contract every destination driver implements (webhook, devnull, postgres, mysql, ...). The
 * pipeline hands a driver one batch of events for one connection and records each event's outcome as a
 * `bulker_stream` Live Events entry on the connection (Jitsu's per-row status; in batch mode, of a driver
 * that logs its batches, only for failed events), so a driver reports per event, never just per batch.
 *
 * Drivers are plain objects registered in the pipeline's driver table by `type` (the destination's
 * `destinationType`). They hold no per-connection state between calls: anything they cache (pools,
 * created tables) must be keyed by {@linkcode destinationKey} (workspace and destination id: ids are unique per
 * workspace only) and released in `close()`.
 */
import type { Logger } from "../log.ts";

/** An event as it leaves the functions chain: a JSON object (Jitsu's AnalyticsServerEvent). */
export type PipelineEvent = Record<string, unknown>;

/** Write mode of a connection: rows one by one as they come, or accumulated batches (warehouses). */
export type WriteMode = "stream" | "batch";

/** What the pipeline passes to {@linkcode DestinationDriver.write}. */
export interface WriteBatch {
  /** The events to deliver, in queue order; results are reported at the same indexes. */
  events: PipelineEvent[];
  /** The destination: its id, its catalog type, and its decrypted credentials (never logged). */
  destination: { id: string; type: string; workspaceId: string; credentials: Record<string, unknown> };
  /** The connection (link) the events travel on, with its options (mode, primaryKey, dataLayout...). */
  connection: { id: string; streamId: string; mode: WriteMode; options: Record<string, unknown> };
  /** Server log for driver diagnostics (credentials are redacted by field name). */
  log: Logger;
  /** Aborted when the server shuts down or the batch's deadline passes: stop and report what was done. */
  signal: AbortSignal;
  /**
   * The JSON text of `events[i]` as the queue holds it (equal to `JSON.stringify(events[i])`), when no
   * function ran on it; undefined otherwise. A driver that writes events as JSON may use it instead of
   * serialising them again. Computed when asked.
   */
  eventText?: (i: number) => string | undefined;
}

/** Outcome of one event. `FAILED` with `retryable` goes back to the queue with backoff; else dead letter. */
export interface WriteResult {
  status: "SUCCESS" | "FAILED" | "SKIPPED";
  /** Human message, shown in Live Events: what failed, then why. */
  error?: string;
  /** Whether trying again later may succeed (5xx, timeout, connection refused); false for 4xx, bad data. */
  retryable?: boolean;
  /**
   * A failed, retryable event: how long the destination asked to be left alone (an HTTP `Retry-After`).
   * The pipeline retries no earlier than that, even when its own backoff would be shorter.
   */
  retryAfterMs?: number;
  /** Where the event went: a table name (`events`) or a URL without credentials. */
  target?: string;
  /** The row actually written (warehouses) or the body sent (webhook), for Live Events. */
  mappedData?: unknown;
  /** Table representation for warehouse drivers, as in Jitsu's `bulker_stream.representation`. */
  representation?: { name: string; schema: Record<string, string>; primaryKeyFields?: string[] };
}

/** What a driver keys per-destination state by: ids are unique per workspace, not globally. */
export function destinationKey(destination: { workspaceId: string; id: string }): string {
  return `${destination.workspaceId}/${destination.id}`;
}

/** Answer of {@linkcode DestinationDriver.test}. */
export interface TestResult {
  ok: boolean;
  error?: string;
}

/** A destination driver. */
export interface DestinationDriver {
  /** The catalog type it serves (`webhook`, `devnull`, `postgres`, ...). */
  readonly type: string;
  /** Modes it supports; the pipeline refuses a connection whose mode is not listed. */
  readonly modes: readonly WriteMode[];
  /**
   * It logs every batch-mode write itself, as `bulker_batch` Live Events entries (one per table). The
   * pipeline then writes a batch-mode connection's per-event `bulker_stream` entries only for failed events
   * (as Jitsu does: `bulker_stream` is the stream-mode log) and counts the delivered ones without an entry.
   */
  readonly logsBatches?: boolean;
  /** Delivers a batch; resolves with exactly one result per event, at the same index. Never throws for bad data. */
  write(batch: WriteBatch): Promise<WriteResult[]>;
  /** Checks credentials without writing events (MCP `test_connection`). */
  test?(credentials: Record<string, unknown>, options: { signal: AbortSignal }): Promise<TestResult>;
  /** Releases pools and caches (server shutdown). */
  close?(): Promise<void>;
}

/** Result list of the same status for a whole batch (a driver that failed before writing anything). */
export function sameResultForAll(batch: WriteBatch, result: WriteResult): WriteResult[] {
  return batch.events.map(() => ({ ...result }));
}
