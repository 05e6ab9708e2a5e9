/**
 * Whatever fails in processing fails alone. {@linkcode processIsolated} runs processBatch() on claimed
 * rows; if it throws (an event the engine cannot handle, a bug, a database statement refused for one
 * row's data), each row is processed again alone, and a row that still throws alone is recorded as a
 * failed attempt: back on the queue with backoff and the error (`attempts` + 1), or in the dead letter
 * with the reason once its retries are spent or at once when the failure cannot change (a stack overflow
 * on a too-deep event). Its batch-mates are delivered as if it were not there.
 *
 * A lost database connection is not the rows' fault: it is thrown on, and the rows' leases end as usual.
 */
import type { Deps } from "../deps.ts";
import { appendEvents, type EventLogEntry } from "../events_log/events_log.ts";
import { cachedLiveConnections } from "../services/pipeline_config.ts";
import { isConnectionError } from "../store/db_errors.ts";
import { deleteQueueRows, failQueueRow } from "../store/queue_repo.ts";
import type { QueueRow } from "../store/queue_rows.ts";
import { insertDeadLetters } from "../store/dead_letter_repo.ts";
import { type BatchStats, emptyStats, type ProcessOptions, thrownFailure } from "./job.ts";
import { processBatch, retryDelayMs } from "./process_batch.ts";

/** Characters of a poison row's stored text kept in its dead-letter Live Events entry. */
const PREVIEW = 1000;

/** processBatch() on `rows`, falling back to one row at a time if it throws. */
export async function processIsolated(
  deps: Deps,
  rows: QueueRow[],
  opts: ProcessOptions,
): Promise<BatchStats> {
  try {
    return await processBatch(deps, rows, opts);
  } catch (e) {
    if (isConnectionError(e) || opts.signal.aborted) throw e;
    if (rows.length === 1) return await failRow(deps, rows[0], e);
    deps.log.warn("pipeline batch failed; processing its rows one by one", { rows: rows.length, error: e });
  }
  const total = emptyStats(0);
  for (const row of rows) {
    let s: BatchStats;
    try {
      s = await processBatch(deps, [row], opts);
    } catch (e) {
      if (isConnectionError(e) || opts.signal.aborted) throw e;
      s = await failRow(deps, row, e);
    }
    for (const k of Object.keys(s) as (keyof BatchStats)[]) total[k] += s[k];
  }
  return total;
}

/** Records one failed attempt of a row whose processing threw `e`. */
async function failRow(deps: Deps, row: QueueRow, e: unknown): Promise<BatchStats> {
  const stats = emptyStats(1);
  const failure = thrownFailure("Cannot process the event", e);
  const attempt = row.attempts + 1;
  deps.log.error("queued event failed alone", { queueRowId: row.id, attempt, error: e });
  const now = deps.clock.now();
  if (failure.retryable && attempt <= deps.config.pipelineRetries) {
    const at = new Date(now.getTime() + retryDelayMs(attempt, deps.config.pipelineRetryBaseMs));
    await failQueueRow(deps.db, { id: row.id, availableAt: at, error: failure.message, lease: row.lease });
    stats.retried++;
    return stats;
  }
  const targets = row.connectionId
    ? [row.connectionId]
    : (await cachedLiveConnections(deps, row.workspaceId, row.streamId)).map((c) => c.id);
  const payloadJson = row.payloadJson ?? "null";
  const entries: EventLogEntry[] = targets.map((connectionId) => ({
    workspaceId: row.workspaceId,
    actorId: connectionId,
    type: "dead-letter",
    level: "error",
    message: {
      date: now.toISOString(),
      workspaceId: row.workspaceId,
      actorId: connectionId,
      type: row.batch ? "bulker_batch" : "bulker_stream",
      attempts: attempt,
      payload: payloadJson.slice(0, PREVIEW),
      error: failure.message,
    },
  }));
  await deps.db.transaction(async function deadLetterRow(tx) {
    await deleteQueueRows(tx, [row.id], row.lease ?? null);
    await insertDeadLetters(
      tx,
      targets.map((connectionId) => ({
        workspaceId: row.workspaceId,
        streamId: row.streamId,
        connectionId,
        payloadJson,
        error: failure.message,
        attempts: attempt,
      })),
    );
    await appendEvents(tx, entries);
  });
  if (targets.length === 0) stats.dropped++;
  stats.deadLettered += targets.length;
  return stats;
}
