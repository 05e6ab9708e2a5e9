/**
 * Runs the connections' functions on planned jobs: all of one connection's events in one
 * `Sandbox.runChains()` call (the runner boundary is crossed per batch, not per event), connections of
 * one batch side by side. A call that throws is split: each event is run alone, so only the event that
 * made it throw fails (and counts as an attempt).
 */
import type { Deps } from "../deps.ts";
import type { EventLogEntry } from "../events_log/events_log.ts";
import { dbFunctionStore } from "../sandbox/function_store.ts";
import type { ChainOutcome } from "../sandbox/protocol.ts";
import type { ChainRun, Sandbox } from "../sandbox/sandbox.ts";
import { functionEntries, pipelineEntry } from "./function_entries.ts";
import { type BatchStats, type Job, thrownFailure } from "./job.ts";

function chainRun(deps: Deps, j: Job): ChainRun {
  return {
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
  };
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
    try {
      outcomes = await sandbox.runChains(list.map((j) => chainRun(deps, j)));
    } catch {
      outcomes = [];
      for (const j of list) {
        try {
          outcomes.push((await sandbox.runChains([chainRun(deps, j)]))[0]);
        } catch (e) {
          outcomes.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
    // Counted once a connection and call, not once an event (a metric's labels are keyed per call).
    const runs = { ok: 0, timeout: 0, error: 0 };
    list.forEach((j, i) => settle(j, outcomes[i], entries, stats, runs));
    for (const [result, n] of Object.entries(runs)) {
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
