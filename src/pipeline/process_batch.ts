/**
 * Processes one claimed batch of queue rows: for every row and every live connection of its stream
 * (or the one connection of a retry/replay row), the connection's functions in order, then its
 * destination driver. Outcomes are committed in one transaction: claimed rows deleted, retries
 * re-queued with backoff, exhausted or hopeless work moved to the dead letter, and every Live Events
 * entry (`function`, `bulker_stream`, `dead-letter`) appended.
 *
 * Delivery is at least once: if this instance dies after a driver wrote but before the commit, the
 * lease ends and the row is processed again.
 *
 * Batch mode: a stream row's work for a batch-mode connection is not delivered here but
 * queued again as a waiting `batch` row for that connection, in the same commit (batch_mode.ts flushes
 * those rows when the batch is due and passes them back here, where they are delivered).
 */
import type { Deps } from "../deps.ts";
import type { PipelineEvent, WriteResult } from "../destinations/driver.ts";
import { appendEvents, type EventLogEntry } from "../events_log/events_log.ts";
import { dbFunctionStore } from "../sandbox/function_store.ts";
import type { ChainOutcome } from "../sandbox/protocol.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import { type LiveConnection, liveConnectionsOf } from "../services/pipeline_config.ts";
import {
  type DeadLetterInsert,
  deleteQueueRows,
  insertDeadLetters,
  insertQueueRows,
  type QueueInsert,
  type QueueRow,
} from "../store/queue_repo.ts";
import { batchSettingsOf } from "./batch_mode.ts";
import type { DriverTable } from "./drivers.ts";
import { debugOn, type EntryTarget, functionEntries, pipelineEntry } from "./function_entries.ts";
import type { QueuePayload } from "./queue_payload.ts";

export interface ProcessOptions {
  sandbox: Sandbox;
  drivers: DriverTable;
  signal: AbortSignal;
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

/** A unit of work: one queue row on one connection. */
interface Job {
  row: QueueRow;
  /** The row's payload as stored (retries and dead letters copy it), and parsed. */
  payloadJson: string;
  payload: QueuePayload;
  conn: LiveConnection;
  target: EntryTarget;
  events: PipelineEvent[];
  /** Set when the job must be retried or dead-lettered. */
  failure: { message: string; retryable: boolean } | null;
}

const MAX_DELAY_MS = 24 * 3600 * 1000;

/** Delay before retry number `attempt` (1-based): base, 4 × base, 16 × base, ... at most a day. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 4 ** Math.max(0, attempt - 1), MAX_DELAY_MS);
}

/** Processes claimed rows; resolves once their outcome is committed. */
export async function processBatch(deps: Deps, rows: QueueRow[], opts: ProcessOptions): Promise<BatchStats> {
  const stats: BatchStats = {
    rows: rows.length,
    delivered: 0,
    dropped: 0,
    retried: 0,
    deadLettered: 0,
    batched: 0,
  };
  const entries: EventLogEntry[] = [];
  const now = deps.clock.now();
  const waiting: QueueInsert[] = [];
  const jobs = await planJobs(deps, rows, now, opts.drivers, waiting, stats);
  stats.batched = waiting.length;

  await runChains(deps, jobs, opts.sandbox, entries, stats);
  await deliver(deps, jobs, opts, entries, stats);

  const retries: QueueInsert[] = [];
  const dead: DeadLetterInsert[] = [];
  for (const j of jobs) {
    if (!j.failure) continue;
    const attempt = j.row.attempts + 1;
    const payloadJson = j.payloadJson;
    if (j.failure.retryable && attempt <= deps.config.pipelineRetries) {
      const at = new Date(now.getTime() + retryDelayMs(attempt, deps.config.pipelineRetryBaseMs));
      retries.push({
        workspaceId: j.row.workspaceId,
        streamId: j.row.streamId,
        connectionId: j.conn.id,
        payloadJson,
        attempts: attempt,
        availableAt: at,
        lastError: j.failure.message,
        // A failed batch's events retry together, as a batch that is due once their backoff ends.
        batch: j.row.batch,
      });
      stats.retried++;
      entries.push(
        pipelineEntry(
          j.target,
          "warn",
          "pipeline",
          `Retry attempt: ${attempt} of ${deps.config.pipelineRetries}. Scheduled retry time: ${at.toISOString()}`,
          { error: j.failure.message },
        ),
      );
    } else {
      dead.push({
        workspaceId: j.row.workspaceId,
        streamId: j.row.streamId,
        connectionId: j.conn.id,
        payloadJson,
        error: j.failure.message,
        attempts: attempt,
      });
      stats.deadLettered++;
      entries.push(
        pipelineEntry(j.target, "error", "pipeline", "Putting to dead-letter queue.", {
          error: j.failure.message,
        }),
      );
      entries.push({
        workspaceId: j.row.workspaceId,
        actorId: j.conn.id,
        type: "dead-letter",
        level: "error",
        message: {
          date: now.toISOString(),
          workspaceId: j.row.workspaceId,
          actorId: j.conn.id,
          type: j.row.batch ? "bulker_batch" : "bulker_stream",
          messageId: j.payload.messageId,
          attempts: attempt,
          payload: j.payload.event,
          error: j.failure.message,
        },
      });
    }
  }
  await deps.db.transaction(async function commitBatch(tx) {
    await deleteQueueRows(tx, rows.map((r) => r.id));
    await insertQueueRows(tx, waiting);
    await insertQueueRows(tx, retries);
    await insertDeadLetters(tx, dead);
    await appendEvents(tx, entries);
  });
  return stats;
}

async function planJobs(
  deps: Deps,
  rows: QueueRow[],
  now: Date,
  drivers: DriverTable,
  waiting: QueueInsert[],
  stats: BatchStats,
): Promise<Job[]> {
  const conns = new Map<string, Promise<LiveConnection[]>>();
  const jobs: Job[] = [];
  for (const row of rows) {
    const key = `${row.workspaceId}/${row.streamId}`;
    if (!conns.has(key)) conns.set(key, liveConnectionsOf(deps, row.workspaceId, row.streamId));
    const live = await conns.get(key)!;
    // A row for one connection (a retry or a replay) whose connection is gone or disabled is dropped.
    const targets = row.connectionId ? live.filter((c) => c.id === row.connectionId) : live;
    const payloadJson = row.payloadJson;
    if (payloadJson === null) {
      // Ingest's row whose `incoming` entry (which holds the event) is gone or unreadable: nothing to send.
      // The database refuses to delete such an entry (migration 9), so only an operator's hand gets here.
      deps.log.error("queued event dropped: its incoming Live Events entry is gone or unreadable", {
        workspaceId: row.workspaceId,
        streamId: row.streamId,
        queueRowId: row.id,
      });
      stats.dropped++;
      continue;
    }
    const payload = JSON.parse(payloadJson) as QueuePayload;
    for (const conn of targets) {
      if (!row.batch && batchSettingsOf(conn, drivers)) {
        // Functions run when the batch is flushed, with the connection's code of that moment.
        waiting.push({
          workspaceId: row.workspaceId,
          streamId: row.streamId,
          connectionId: conn.id,
          payloadJson,
          attempts: row.attempts,
          availableAt: row.availableAt,
          batch: true,
        });
        continue;
      }
      jobs.push({
        row,
        payloadJson,
        payload,
        conn,
        target: {
          workspaceId: row.workspaceId,
          connectionId: conn.id,
          messageId: payload.messageId,
          debug: debugOn(conn.options, now),
        },
        events: [structuredClone(payload.event)],
        failure: null,
      });
    }
  }
  return jobs;
}

// Chains in flight at once: the runner process of a workspace serves them concurrently.
const CHAIN_CONCURRENCY = 16;

async function runChains(
  deps: Deps,
  jobs: Job[],
  sandbox: Sandbox,
  entries: EventLogEntry[],
  stats: BatchStats,
) {
  const withFunctions = jobs.filter((j) => j.conn.functions.length > 0);
  let next = 0;
  async function lane() {
    while (next < withFunctions.length) {
      const j = withFunctions[next++];
      const outcome: ChainOutcome = await sandbox.runChain({
        workspaceId: j.row.workspaceId,
        functions: j.conn.functions.map((f) => ({ id: `udf.${f.id}`, code: f.code })),
        event: j.events[0],
        ctx: {
          props: j.conn.functionsEnv,
          headers: j.payload.headers,
          source: { id: j.row.streamId, type: j.payload.ingestType },
          destination: {
            id: j.conn.destination.id,
            type: j.conn.destination.destinationType,
            updatedAt: j.conn.destination.updatedAt.toISOString(),
          },
          connection: {
            id: j.conn.id,
            mode: String(j.conn.options.mode ?? "stream"),
            options: j.conn.options,
          },
          workspace: { id: j.row.workspaceId },
          receivedAt: j.payload.receivedAt,
          retries: j.row.attempts,
        },
        store: dbFunctionStore(deps.db, j.row.workspaceId, deps.clock),
      });
      entries.push(...functionEntries(outcome.logs, j.target));
      const result = !outcome.error ? "ok" : outcome.error.name === "TimeoutError" ? "timeout" : "error";
      deps.metrics.inc("sluice_function_runs_total", { result });
      if (outcome.retry) {
        j.failure = {
          message: `${outcome.error?.name ?? "RetryError"}: ${outcome.retry.message}`,
          retryable: true,
        };
        j.events = [];
        continue;
      }
      j.events = outcome.events;
      if (outcome.dropped) {
        stats.dropped++;
        const by = outcome.execLog.find((x) => x.dropped || x.error)?.functionId ?? "pipeline";
        entries.push(
          pipelineEntry(j.target, "info", by, `Event ${j.payload.messageId} dropped by ${by}`, {
            dropped: true,
          }),
        );
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CHAIN_CONCURRENCY, withFunctions.length) }, lane));
}

async function deliver(
  deps: Deps,
  jobs: Job[],
  opts: ProcessOptions,
  entries: EventLogEntry[],
  stats: BatchStats,
) {
  const byConn = new Map<string, Job[]>();
  for (const j of jobs) {
    if (j.failure || j.events.length === 0) continue;
    // A claim spans workspaces, and connection ids are unique per workspace only.
    const key = `${j.conn.workspaceId}/${j.conn.id}`;
    const list = byConn.get(key) ?? [];
    list.push(j);
    byConn.set(key, list);
  }
  await Promise.all([...byConn.values()].map(async function deliverConnection(list) {
    const conn = list[0].conn;
    const events = list.flatMap((j) => j.events);
    const driver = opts.drivers.get(conn.destination.destinationType);
    let results: WriteResult[];
    if (!driver) {
      const error =
        `Destination type "${conn.destination.destinationType}" has no driver in this version of Sluice`;
      results = events.map(() => ({ status: "FAILED", error, retryable: false }));
    } else {
      try {
        results = await driver.write({
          events,
          destination: {
            id: conn.destination.id,
            type: conn.destination.destinationType,
            workspaceId: conn.workspaceId,
            credentials: conn.destination.config,
          },
          connection: {
            id: conn.id,
            streamId: conn.streamId,
            mode: conn.options.mode === "batch" ? "batch" : "stream",
            options: { ...conn.options, functionsEnv: conn.functionsEnv },
          },
          log: deps.log,
          signal: opts.signal,
        });
      } catch (e) {
        // A driver should report per event; one that throws gets all its events retried.
        deps.log.error("destination driver threw", { type: conn.destination.destinationType, error: e });
        const error = `Driver ${conn.destination.destinationType} failed: ${(e as Error).message}`;
        results = events.map(() => ({ status: "FAILED", error, retryable: true }));
      }
    }
    let i = 0;
    for (const j of list) {
      for (const event of j.events) {
        const r = results[i++] ??
          { status: "FAILED", error: "the driver returned no result", retryable: true };
        entries.push({
          workspaceId: conn.workspaceId,
          actorId: conn.id,
          type: "bulker_stream",
          level: r.status === "FAILED" ? "error" : "info",
          message: {
            original: JSON.stringify(event),
            status: r.status,
            messageId: j.payload.messageId,
            ...(r.error ? { error: r.error } : {}),
            ...(r.target ? { target: r.target } : {}),
            ...(r.representation ? { representation: r.representation } : {}),
            ...(r.mappedData !== undefined ? { mappedData: r.mappedData } : {}),
          },
        });
        deps.metrics.inc("sluice_deliveries_total", {
          destination_type: conn.destination.destinationType,
          status: r.status === "FAILED" ? "failed" : "ok",
        });
        if (r.status === "FAILED") {
          // Any retryable failure retries the job; otherwise the first failure sends it to the dead letter.
          const retryable = r.retryable === true;
          if (!j.failure || (retryable && !j.failure.retryable)) {
            j.failure = { message: r.error ?? "failed", retryable };
          }
        } else stats.delivered++;
      }
    }
  }));
}
