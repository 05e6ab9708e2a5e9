/**
 * The unit of pipeline work (one queue row on one connection) and what processing a batch reports, shared
 * by process_batch.ts, run_functions.ts and deliver.ts.
 */
import type { PipelineEvent } from "../destinations/driver.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { LiveConnection } from "../services/pipeline_config.ts";
import type { QueueRow } from "../store/queue_rows.ts";
import type { DriverTable } from "./drivers.ts";
import type { HeldBatches } from "./held_batches.ts";
import type { EntryTarget } from "./function_entries.ts";
import type { QueuePayload } from "./queue_payload.ts";

export interface ProcessOptions {
  sandbox: Sandbox;
  drivers: DriverTable;
  signal: AbortSignal;
  /** Where batch-mode rows wait in memory for their batch (absent: they are parked in the queue). */
  held?: HeldBatches;
  /**
   * Called once a chunk's commit left rows waiting in the queue for batch-mode connections' batches (parked
   * or copied there, not held): per connection, how many, and its batchSize (the Pipeline flushes a batch
   * those rows may have filled at once).
   */
  onParked?(parked: readonly ParkedRows[]): void;
}

/** Rows a commit left waiting in the queue for one batch-mode connection's batch. */
export interface ParkedRows {
  workspaceId: string;
  connectionId: string;
  rows: number;
  batchSize: number;
}

/** What one batch did (tests and metrics). */
export interface BatchStats {
  rows: number;
  delivered: number;
  dropped: number;
  retried: number;
  deadLettered: number;
  /** Row × connection work put to wait for a batch-mode connection's batch. */
  batched: number;
}

export function emptyStats(rows: number): BatchStats {
  return { rows, delivered: 0, dropped: 0, retried: 0, deadLettered: 0, batched: 0 };
}

/** Why a job is retried or dead-lettered. */
export interface JobFailure {
  message: string;
  retryable: boolean;
  /** The destination asked not to be tried again for this long (WriteResult.retryAfterMs). */
  retryAfterMs?: number;
}

/** A unit of work: one queue row on one connection. */
export interface Job {
  row: QueueRow;
  /** The row's payload as stored (retries and dead letters copy it), and parsed. */
  payloadJson: string;
  payload: QueuePayload;
  conn: LiveConnection;
  target: EntryTarget;
  events: PipelineEvent[];
  /** Set when the job must be retried or dead-lettered. */
  failure: JobFailure | null;
  /**
   * The event itself made processing throw (too deep to copy, ...): its Live Events entries carry a
   * prefix of the stored text instead of the event.
   */
  poison?: boolean;
}

/**
 * The failure of a job whose processing threw `e`. A stack overflow or an out-of-range value comes
 * from the event itself (nesting deeper than the engine can walk): the same input fails again, so it is
 * not retried; anything else may be transient and is.
 */
export function thrownFailure(what: string, e: unknown): JobFailure {
  const err = e instanceof Error ? e : new Error(String(e));
  return { message: `${what}: ${err.name}: ${err.message}`, retryable: !(err instanceof RangeError) };
}
