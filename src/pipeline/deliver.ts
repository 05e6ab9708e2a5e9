/**
 * Hands planned jobs to their destination drivers, one connection at a time per call and connections
 * side by side, and records each event's outcome (`bulker_stream` entries, metrics, job failures).
 *
 * A batch-mode connection whose driver logs its batches (`bulker_batch` entries, one per table: warehouses,
 * ClickHouse, S3) gets a `bulker_stream` entry only for a failed event, as in Jitsu, where `bulker_stream`
 * is the stream-mode log; its delivered events are counted in the statistics rollup without an entry
 * (`counts`, committed with the chunk). That entry (the event, the table's schema and the mapped row:
 * about 1,900 bytes) was the largest single cost of a warehouse event.
 *
 * A connection's events of one chunk are one driver call (the webhook driver keeps 32 requests in flight;
 * a warehouse writes them in one transaction); with two chunks of a lane at once that is 64 requests per
 * stream. Cutting a chunk into slices sent at once measured no faster here (the webhook driver alone, with 8
 * in flight: 1,000-2,750 events/s in one call, 1,250-1,800 in four at once, on a loaded 2-core machine). A driver
 * call that throws is split: each event is written alone, so only the event that made it throw fails.
 */
import type { Deps } from "../deps.ts";
import type { DestinationDriver, PipelineEvent, WriteResult } from "../destinations/driver.ts";
import type { StatCount } from "../events_log/event_stat_counts.ts";
import type { EventLogEntry } from "../events_log/events_log.ts";
import type { LiveConnection } from "../services/pipeline_config.ts";
import { type BatchStats, type Job, type ProcessOptions, thrownFailure } from "./job.ts";
import { logBatchesInto } from "./drivers.ts";
import { eventTextOf } from "./queue_payload.ts";

type Outcome = WriteResult | { thrown: unknown };

export async function deliver(
  deps: Deps,
  jobs: Job[],
  opts: ProcessOptions,
  entries: EventLogEntry[],
  stats: BatchStats,
  counts: StatCount[],
): Promise<void> {
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
    let results: Outcome[];
    // Which job each event came from: a job without functions delivers its queued event unchanged, and its
    // text (the slice of the queued payload) is both what a driver may send as is and the Live Events
    // entry's `original`, without serialising the event again.
    const owners = list.flatMap((j) => j.events.map(() => j));
    const texts = new Map<number, string | undefined>();
    const text = (i: number) => {
      if (texts.has(i)) return texts.get(i);
      const j = owners[i];
      const t = j && j.conn.functions.length === 0
        ? j.row.eventJson ?? eventTextOf(j.payloadJson, j.payload)
        : undefined;
      texts.set(i, t);
      return t;
    };
    if (!driver) {
      const error =
        `Destination type "${conn.destination.destinationType}" has no driver in this version of Sluice`;
      results = events.map(() => ({ status: "FAILED", error, retryable: false }));
    } else results = await write(deps, driver, conn, events, { opts, text, entries });
    // Successes of a batch logged as bulker_batch are counted here, not logged one by one.
    const batchLogged = driver?.logsBatches === true && conn.options.mode === "batch";
    // Events without an entry of their own, by status; every event, for the metrics.
    let delivered = 0, skipped = 0, ok = 0, failed = 0;
    let i = 0;
    for (const j of list) {
      for (const event of j.events) {
        const r = results[i] ??
          { status: "FAILED", error: "the driver returned no result", retryable: true };
        if (batchLogged && !("thrown" in r) && r.status !== "FAILED") {
          i++;
          outcome(j, r, stats);
          if (r.status === "SKIPPED") skipped++;
          else delivered++;
          ok++;
          continue;
        }
        const original = j.poison ? "" : text(i) ?? JSON.stringify(event);
        i++;
        if (record(j, original, r, entries, stats)) failed++;
        else ok++;
      }
    }
    // Counted once a connection and call, not once an event (a metric's labels are keyed per call).
    const type = conn.destination.destinationType;
    if (ok) deps.metrics.inc("sluice_deliveries_total", { destination_type: type, status: "ok" }, ok);
    if (failed) {
      deps.metrics.inc("sluice_deliveries_total", { destination_type: type, status: "failed" }, failed);
    }
    const count = (status: "delivered" | "skipped", events: number) =>
      events && counts.push({ workspaceId: conn.workspaceId, actorId: conn.id, status, events });
    count("delivered", delivered);
    count("skipped", skipped);
  }));
}

/**
 * One driver call; if it throws, each event alone (a throw then fails that event only). A driver's
 * `bulker_batch` entries join the chunk's `entries` (drivers.ts logBatchesInto).
 */
async function write(
  deps: Deps,
  driver: DestinationDriver,
  conn: LiveConnection,
  events: PipelineEvent[],
  { opts, text, entries }: {
    opts: ProcessOptions;
    text: (i: number) => string | undefined;
    entries: EventLogEntry[];
  },
): Promise<Outcome[]> {
  const call = (evs: PipelineEvent[], at = 0) =>
    driver.write(logBatchesInto({
      events: evs,
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
      eventText: (i) => text(at + i),
    }, entries));
  try {
    return await call(events);
  } catch (e) {
    deps.log.error("destination driver threw", { type: conn.destination.destinationType, error: e });
    if (events.length === 1) return [{ thrown: e }];
  }
  const out: Outcome[] = [];
  for (const [i, ev] of events.entries()) {
    try {
      out.push((await call([ev], i))[0] ?? { status: "FAILED", error: "the driver returned no result" });
    } catch (e) {
      out.push({ thrown: e });
    }
  }
  return out;
}

/**
 * Records one event's outcome with its `bulker_stream` entry; `original` is the event's JSON text. True when
 * the event failed.
 */
function record(
  j: Job,
  original: string,
  result: Outcome,
  entries: EventLogEntry[],
  stats: BatchStats,
): boolean {
  const conn = j.conn;
  let r: WriteResult;
  if ("thrown" in result) {
    const f = thrownFailure(`Driver ${conn.destination.destinationType} failed`, result.thrown);
    r = { status: "FAILED", error: f.message, retryable: f.retryable };
  } else r = result;
  // Fields set one by one, in this order (an entry per stream-mode event: no spread objects to collect).
  const message: Record<string, unknown> = { original, status: r.status, messageId: j.payload.messageId };
  if (r.error) message.error = r.error;
  if (r.target) message.target = r.target;
  if (r.representation) message.representation = r.representation;
  if (r.mappedData !== undefined) message.mappedData = r.mappedData;
  entries.push({
    workspaceId: conn.workspaceId,
    actorId: conn.id,
    type: "bulker_stream",
    level: r.status === "FAILED" ? "error" : "info",
    message,
  });
  outcome(j, r, stats);
  return r.status === "FAILED";
}

/** Counts one event's outcome in the batch's stats, and marks a failed job. */
function outcome(j: Job, r: WriteResult, stats: BatchStats): void {
  if (r.status === "FAILED") {
    // Any retryable failure retries the job; otherwise the first failure sends it to the dead letter.
    const retryable = r.retryable === true;
    if (!j.failure || (retryable && !j.failure.retryable)) {
      j.failure = { message: r.error ?? "failed", retryable };
    }
    if (retryable && r.retryAfterMs !== undefined && r.retryAfterMs > (j.failure.retryAfterMs ?? 0)) {
      j.failure.retryAfterMs = r.retryAfterMs;
    }
  } else stats.delivered++;
}
