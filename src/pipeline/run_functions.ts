/**
 * Runs the connections' functions on planned jobs: all of one connection's events in one
 * `Sandbox.runChains()` call (the runner boundary is crossed per batch, not per event), connections of
 * one batch side by side. A call that throws is split: each event is run alone, so only the event that
 * made it throw fails (and counts as an attempt).
 */
import type { Deps } from "../deps.ts";
import type { EventLogEntry } from "../events_log/events_log.ts";
import { dbFunctionStore } from "../sandbox/function_store.ts";
import type { ChainOutcome, EventContextData } from "../sandbox/protocol.ts";
import type { ChainRun, Sandbox } from "../sandbox/sandbox.ts";
import { functionEntries, pipelineEntry } from "./function_entries.ts";
import { type BatchStats, type Job, thrownFailure } from "./job.ts";
import { eventTextOf } from "./queue_payload.ts";

/**
 * The chain runs of one connection's jobs. The parts of `ctx` that are the same for all of them (the
 * connection, its destination, the workspace, the stream) are the same objects, which the sandbox then
 * serialises once (protocol.ts batchItemsJson); each event still gets a ctx of its own in the worker.
 */
function chainRuns(deps: Deps, list: Job[]): ChainRun[] {
  const conn = list[0].conn;
  const functions = conn.functions.map((f) => ({ id: `udf.${f.id}`, code: f.code }));
  const destination = {
    id: conn.destination.id,
    type: conn.destination.destinationType,
    updatedAt: conn.destination.updatedAt.toISOString(),
  };
  const connection = { id: conn.id, mode: String(conn.options.mode ?? "stream"), options: conn.options };
  const workspace = { id: conn.workspaceId };
  const store = dbFunctionStore(deps.db, conn.workspaceId, deps.clock);
  const sources = new Map<string, EventContextData["source"]>();
  return list.map((j): ChainRun => {
    const key = `${j.row.streamId}\n${j.payload.ingestType}`;
    let source = sources.get(key);
    if (!source) sources.set(key, source = { id: j.row.streamId, type: j.payload.ingestType });
    return {
      workspaceId: j.row.workspaceId,
      functions,
      event: j.events[0],
      // The job's event is still the queued one here: its text is the queued text.
      eventJson: j.row.eventJson ?? eventTextOf(j.payloadJson, j.payload),
      ctx: {
        props: conn.functionsEnv,
        headers: j.payload.headers,
        source,
        destination,
        connection,
        workspace,
        receivedAt: j.payload.receivedAt,
        retries: j.row.attempts,
      },
      store,
    };
  });
}

/** Runs every job's chain; sets `events` (what the chain returned) or `failure` on each. */
export async function runFunctions(
  deps: Deps,
  jobs: Job[],
  sandbox: Sandbox,
  entries: EventLogEntry[],
  stats: BatchStats,
): Promise<void> {
  const byConn = new Map<string, Job[]>();
  for (const j of jobs) {
    if (j.failure || j.conn.functions.length === 0) continue;
    // A claim spans workspaces, and connection ids are unique per workspace only.
    const key = `${j.conn.workspaceId}/${j.conn.id}`;
    const list = byConn.get(key) ?? [];
    list.push(j);
    byConn.set(key, list);
  }
  await Promise.all([...byConn.values()].map(async function runConnection(list) {
    let outcomes: (ChainOutcome | Error)[];
    const runs = chainRuns(deps, list);
    try {
      outcomes = await sandbox.runChains(runs);
    } catch {
      outcomes = [];
      for (const run of runs) {
        try {
          outcomes.push((await sandbox.runChains([run]))[0]);
        } catch (e) {
          outcomes.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
    // Counted once a connection and call, not once an event (a metric's labels are keyed per call).
    const results = { ok: 0, timeout: 0, error: 0 };
    list.forEach((j, i) => settle(j, outcomes[i], entries, stats, results));
    for (const [result, n] of Object.entries(results)) {
      if (n) deps.metrics.inc("sluice_function_runs_total", { result }, n);
    }
  }));
}

function settle(
  j: Job,
  outcome: ChainOutcome | Error | undefined,
  entries: EventLogEntry[],
  stats: BatchStats,
  runs: Record<"ok" | "timeout" | "error", number>,
): void {
  if (outcome === undefined || outcome instanceof Error) {
    j.failure = thrownFailure(
      "Cannot run functions",
      outcome ?? new Error("the sandbox returned no outcome"),
    );
    j.events = [];
    return;
  }
  entries.push(...functionEntries(outcome.logs, j.target));
  runs[!outcome.error ? "ok" : outcome.error.name === "TimeoutError" ? "timeout" : "error"]++;
  if (outcome.retry) {
    j.failure = {
      message: `${outcome.error?.name ?? "RetryError"}: ${outcome.retry.message}`,
      retryable: true,
    };
    j.events = [];
    return;
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
