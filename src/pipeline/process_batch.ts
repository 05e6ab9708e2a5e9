/**
 * Processes one claimed batch of queue rows: for every row and every live connection of its stream
 * (or the one connection of a retry/replay row), the connection's functions in order, then its
 * destination driver. Outcomes are committed in one transaction: claimed rows deleted, retries
 * re-queued with backoff (no earlier than a destination's Retry-After), exhausted or hopeless work moved to
 * the dead letter, and every Live Events entry (`function`, `bulker_stream`, `dead-letter`) appended with its
 * statistics rollup counts (with the delivered events of batch-mode connections, which have no entry each:
 * deliver.ts). The usual chunks need no transaction: all delivered or dropped is one statement
 * (src/store/queue_commit_repo.ts), all waiting for a batch one UPDATE or nothing (held in memory).
 *
 * Delivery is at least once: if this instance dies after a driver wrote but before the commit, the
 * lease ends and the row is processed again.
 *
 * Batch mode: a stream row's work for a batch-mode connection is not delivered here. A row whose one
 * connection that is waits for the batch in memory (held_batches.ts: still leased, handed back here when the
 * batch is due) or, when it cannot, is turned into a waiting `batch` row for that connection in place; a row
 * with other connections too is delivered to those and then, in the same commit, turned into the waiting
 * row of its batch-mode connection (a second batch-mode connection gets a copy). batch_mode.ts flushes
 * waiting rows when the batch is due and passes them back here, where they are delivered.
 */
import type { Deps } from "../deps.ts";
import type { StatCount } from "../events_log/event_stat_counts.ts";
import { appendEvents, appendEventsInOneStatement, type EventLogEntry } from "../events_log/events_log.ts";
import { cachedLiveConnections, type LiveConnection } from "../services/pipeline_config.ts";
import { insertQueueRows, leasesOf, parkForBatch, type QueueInsert } from "../store/queue_repo.ts";
import { type QueueRow } from "../store/queue_rows.ts";
import { type DeadLetterInsert, insertDeadLetters } from "../store/dead_letter_repo.ts";
import { type BatchSettings, batchSettingsOf } from "./batch_mode.ts";
import type { BatchConvert } from "./held_batches.ts";
import { deliver } from "./deliver.ts";
import type { DriverTable } from "./drivers.ts";
import { debugOn, pipelineEntry } from "./function_entries.ts";
import {
  type BatchStats,
  emptyStats,
  type Job,
  type ParkedRows,
  type ProcessOptions,
  thrownFailure,
} from "./job.ts";
import type { QueuePayload } from "./queue_payload.ts";
import { runFunctions } from "./run_functions.ts";

export type { BatchStats, ProcessOptions } from "./job.ts";

const MAX_DELAY_MS = 24 * 3600 * 1000;
/** Characters of a poison event's stored text kept in its dead-letter Live Events entry. */
const POISON_PREVIEW = 1000;

/** Delay before retry number `attempt` (1-based): base, 4 × base, 16 × base, ... at most a day. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 4 ** Math.max(0, attempt - 1), MAX_DELAY_MS);
}

/** Processes claimed rows; resolves once their outcome is committed. */
export async function processBatch(deps: Deps, rows: QueueRow[], opts: ProcessOptions): Promise<BatchStats> {
  const stats = emptyStats(rows.length);
  const entries: EventLogEntry[] = [];
  // Events counted in the statistics rollup without an entry (deliver.ts: batch-mode successes).
  const counts: StatCount[] = [];
  const now = deps.clock.now();
  const waiting: Waiting = { inserts: [], converts: [], parks: [] };
  const jobs = await planJobs(deps, rows, now, opts.drivers, waiting, stats);
  stats.batched = waiting.inserts.length + waiting.converts.length + waiting.parks.length;

  await runFunctions(deps, jobs, opts.sandbox, entries, stats);
  await deliver(deps, jobs, opts, entries, stats, counts);

  const retries: QueueInsert[] = [];
  const dead: DeadLetterInsert[] = [];
  for (const j of jobs) {
    if (!j.failure) continue;
    const attempt = j.row.attempts + 1;
    const payloadJson = j.payloadJson;
    if (j.failure.retryable && attempt <= deps.config.pipelineRetries) {
      // No earlier than the destination asked (Retry-After), even when the backoff is shorter.
      const delay = Math.max(
        retryDelayMs(attempt, deps.config.pipelineRetryBaseMs),
        Math.min(j.failure.retryAfterMs ?? 0, MAX_DELAY_MS),
      );
      const at = new Date(now.getTime() + delay);
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
          payload: j.poison ? j.payloadJson.slice(0, POISON_PREVIEW) : queuedEvent(j),
          error: j.failure.message,
        },
      });
    }
  }
  // Rows of a batch-mode connection wait in memory for their batch when they can (held_batches.ts), or
  // are parked in the queue; either way they are not deleted.
  const { held, park } = opts.held ? opts.held.hold(waiting.converts) : { held: [], park: waiting.converts };
  try {
    await commit(deps, rows, waiting, park, entries, counts, retries, dead);
  } catch (e) {
    opts.held?.forget(held);
    throw e;
  }
  opts.held?.flushFull();
  if (opts.onParked && (park.length > 0 || waiting.parks.length > 0 || waiting.inserts.length > 0)) {
    opts.onParked(parkedRows(park, waiting));
  }
  return stats;
}

/** Rows the commit left waiting in the queue, per batch-mode connection. */
function parkedRows(park: readonly BatchConvert[], waiting: Waiting): ParkedRows[] {
  const out = new Map<string, ParkedRows>();
  const add = (workspaceId: string, connectionId: string, settings: BatchSettings) => {
    const key = `${workspaceId}/${connectionId}`;
    const p = out.get(key);
    if (p) p.rows++;
    else out.set(key, { workspaceId, connectionId, rows: 1, batchSize: settings.batchSize });
  };
  for (const c of park) add(c.row.workspaceId, c.connectionId, c.settings);
  for (const c of waiting.parks) add(c.row.workspaceId, c.connectionId, c.settings);
  for (const c of waiting.inserts) add(c.insert.workspaceId, c.insert.connectionId!, c.settings);
  return [...out.values()];
}

/** The event as it was queued (the job's own copy may have been changed by its functions or driver). */
function queuedEvent(j: Job): unknown {
  try {
    return (JSON.parse(j.payloadJson) as QueuePayload).event;
  } catch {
    return j.payload.event;
  }
}

async function commit(
  deps: Deps,
  rows: QueueRow[],
  waiting: Waiting,
  park: readonly BatchConvert[],
  entries: EventLogEntry[],
  counts: StatCount[],
  retries: QueueInsert[],
  dead: DeadLetterInsert[],
): Promise<void> {
  if (
    waiting.converts.length === rows.length && entries.length === 0 && counts.length === 0 &&
    waiting.inserts.length === 0 &&
    waiting.parks.length === 0 && retries.length === 0 && dead.length === 0
  ) {
    // Every row waits for its batch-mode connection's batch: held in memory (nothing to write) or parked by
    // one statement, atomic by itself.
    await parkForBatch(deps.db, park.map((c) => ({ ...c, lease: c.row.lease })));
    return;
  }
  // Rows are changed only while still leased with the token they were claimed with: once a lease ran out
  // and another instance claimed a row, this (late) commit must not delete, park or unlease it.
  const leases = leasesOf(rows);
  const waits = new Set([...waiting.converts, ...waiting.parks].map((c) => c.id));
  const done = rows.filter((r) => !waits.has(r.id)).map((r) => r.id);
  if (
    waiting.converts.length === 0 && waiting.inserts.length === 0 && retries.length === 0 &&
    dead.length === 0 &&
    await appendEventsInOneStatement(deps.db, entries, done, waiting.parks, counts, leases)
  ) {
    // Everything delivered, dropped or waiting for a batch in its row: rows deleted or parked, entries
    // appended and counted in the statistics rollup (so counts never drift from what was committed) by one
    // statement, atomic by itself.
    return;
  }
  await deps.db.transaction(async function commitBatch(tx) {
    await parkForBatch(tx, [...park, ...waiting.parks].map((c) => ({ ...c, lease: c.row.lease })));
    await insertQueueRows(tx, waiting.inserts.map((c) => c.insert));
    await insertQueueRows(tx, retries);
    await insertDeadLetters(tx, dead);
    await appendEvents(tx, entries, { deleteQueueIds: done, counts, leases });
  });
}

/** Work put to wait for batch-mode connections' batches. */
interface Waiting {
  /**
   * Copies of a row for its second and later batch-mode connections, when the row has other connections
   * too.
   */
  inserts: { insert: QueueInsert; settings: BatchSettings }[];
  /** Rows whose one connection is in batch mode: held for its batch, or made its waiting rows in place. */
  converts: BatchConvert[];
  /**
   * Rows delivered here to their stream-mode connections that wait for their (first) batch-mode
   * connection's batch: made its waiting row in place by the chunk's commit, instead of a copy written and
   * the row deleted.
   */
  parks: BatchConvert[];
}

async function planJobs(
  deps: Deps,
  rows: QueueRow[],
  now: Date,
  drivers: DriverTable,
  waiting: Waiting,
  stats: BatchStats,
): Promise<Job[]> {
  // Looked up once a chunk: a chunk's rows are nearly always one stream's (and a batch one connection's).
  const conns = new Map<string, LiveConnection[]>();
  const ownTargets = new Map<string, LiveConnection[]>();
  const settingsOf = new Map<LiveConnection, BatchSettings | null>();
  const batchSettings = (c: LiveConnection) => {
    let s = settingsOf.get(c);
    if (s === undefined) settingsOf.set(c, s = batchSettingsOf(c, drivers));
    return s;
  };
  const debugOf = new Map<LiveConnection, boolean>();
  const debug = (c: LiveConnection) => {
    let d = debugOf.get(c);
    if (d === undefined) debugOf.set(c, d = debugOn(c.options, now));
    return d;
  };
  const jobs: Job[] = [];
  for (const row of rows) {
    const key = `${row.workspaceId}/${row.streamId}`;
    let live = conns.get(key);
    if (live === undefined) {
      conns.set(key, live = await cachedLiveConnections(deps, row.workspaceId, row.streamId));
    }
    // A row for one connection (a retry or a replay) whose connection is gone or disabled is dropped.
    let targets = live;
    if (row.connectionId) {
      const id = row.connectionId;
      const own = `${key}/${id}`;
      let t = ownTargets.get(own);
      if (t === undefined) ownTargets.set(own, t = live.filter((c) => c.id === id));
      targets = t;
    }
    const settings = !row.batch && targets.length === 1 ? batchSettings(targets[0]) : null;
    if (settings) {
      // The row itself waits for the batch: no copy of the event is written, and the event is not read
      // now (a row of ingest's is built from its `incoming` entry when the batch goes; an unreadable one
      // is dropped then, as here).
      waiting.converts.push({ id: row.id, connectionId: targets[0].id, row, settings });
      continue;
    }
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
    let payload: QueuePayload;
    let poison: Job["failure"] = null;
    // The parse that built the text from the `incoming` entry, when it was built (taken: a second processing
    // of the row, after a throw, parses the text afresh).
    const parsed = row.parsed as QueuePayload | undefined;
    row.parsed = undefined;
    try {
      payload = parsed ?? JSON.parse(payloadJson) as QueuePayload;
    } catch (e) {
      payload = { event: {}, ingestType: "s2s", messageId: "", headers: {}, receivedAt: now.toISOString() };
      poison = thrownFailure("Cannot read the queued event", e);
    }
    let parked = false;
    const last = targets.length - 1;
    for (const [t, conn] of targets.entries()) {
      const connBatch = !poison && !row.batch ? batchSettings(conn) : null;
      if (connBatch) {
        // Functions run when the batch is flushed, with the connection's code of that moment. The row
        // itself becomes the first such connection's waiting row; any other gets a copy.
        if (!parked && row.connectionId === null) {
          parked = true;
          waiting.parks.push({ id: row.id, connectionId: conn.id, row, settings: connBatch });
          continue;
        }
        waiting.inserts.push({
          insert: {
            workspaceId: row.workspaceId,
            streamId: row.streamId,
            connectionId: conn.id,
            payloadJson,
            attempts: row.attempts,
            availableAt: row.availableAt,
            batch: true,
          },
          settings: connBatch,
        });
        continue;
      }
      const job: Job = {
        row,
        payloadJson,
        payload,
        conn,
        target: {
          workspaceId: row.workspaceId,
          connectionId: conn.id,
          messageId: payload.messageId,
          debug: debug(conn),
        },
        events: [],
        failure: poison,
        poison: poison !== null,
      };
      if (!poison) {
        try {
          // Each connection gets its own copy: functions and drivers may change the objects they are given.
          // The payload was parsed for this row alone, so the last connection takes its event as it is, when
          // it is known to serialise (the copy is what finds an event nested too deep).
          job.events = [t === last && row.built ? payload.event : structuredClone(payload.event)];
        } catch (e) {
          // Nesting too deep for the engine to copy (an event accepted before ingest's depth limit): it
          // fails alone, never its batch-mates.
          job.failure = thrownFailure("Cannot process the event", e);
          job.poison = true;
        }
      }
      jobs.push(job);
    }
  }
  return jobs;
}
