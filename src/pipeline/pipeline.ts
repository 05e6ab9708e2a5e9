/**
 * The queue consumer of one instance: PIPELINE_WORKERS loops that claim ready rows (FOR UPDATE SKIP
 * LOCKED plus a lease, so instances sharing a PostgreSQL split the work), process them and commit.
 * Idle loops sleep until a NOTIFY from ingest or the next poll. Started by startServer(), stopped on
 * shutdown: loops finish their batch, unprocessed leases are released.
 */
import type { Deps } from "../deps.ts";
import { QUEUE_CHANNEL } from "./queue_payload.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Unlisten } from "../store/db.ts";
import { claimQueueRows, extendQueueLease, type QueueRow } from "../store/queue_repo.ts";
import { flushDueBatches } from "./batch_mode.ts";
import { defaultDrivers, type DriverTable } from "./drivers.ts";
import { type BatchStats, processBatch } from "./process_batch.ts";

export interface PipelineOptions {
  workers?: number;
  batchSize?: number;
  /** How long a claimed row stays away from other consumers. */
  leaseMs?: number;
  /** Idle loops look at the queue at least this often (NOTIFY usually wakes them first). */
  pollMs?: number;
  /** How often (real time) a loop looks for due batch-mode batches (batch_mode.ts). */
  batchCheckMs?: number;
  sandbox?: Sandbox;
  drivers?: DriverTable;
}

/** A running consumer. */
export class Pipeline {
  readonly #deps: Deps;
  readonly #opts: Required<Omit<PipelineOptions, "sandbox" | "drivers">>;
  readonly #sandbox: Sandbox;
  readonly #drivers: DriverTable;
  readonly #abort = new AbortController();
  #loops: Promise<void>[] = [];
  #wakers: (() => void)[] = [];
  #unlisten: Unlisten | null = null;
  #stopping: Promise<void> | null = null;
  /** One batch pass at a time in this instance (others' passes are kept apart by SKIP LOCKED). */
  #batchPass: Promise<number> | null = null;
  #lastBatchCheck = 0;
  /** Totals since start (tests, bench). */
  readonly totals: BatchStats = {
    rows: 0,
    delivered: 0,
    dropped: 0,
    retried: 0,
    deadLettered: 0,
    batched: 0,
  };

  constructor(deps: Deps, options: PipelineOptions = {}) {
    this.#deps = deps;
    this.#opts = {
      workers: deps.config.pipelineWorkers,
      batchSize: deps.config.pipelineBatchSize,
      leaseMs: 60_000,
      pollMs: 1000,
      batchCheckMs: 1000,
      ...options,
    };
    this.#sandbox = options.sandbox ?? deps.sandbox;
    this.#drivers = options.drivers ?? defaultDrivers(deps);
  }

  /** Starts the loops and listens for new rows. */
  async start(): Promise<void> {
    this.#unlisten = await this.#deps.db.listen(QUEUE_CHANNEL, () => this.wake());
    for (let i = 0; i < this.#opts.workers; i++) this.#loops.push(this.#loop(i));
  }

  /** Wakes idle loops now (new rows). */
  wake(): void {
    const w = this.#wakers;
    this.#wakers = [];
    for (const f of w) f();
  }

  /**
   * Claims and processes one batch of ready rows, and flushes due batch-mode batches when the last
   * look is `batchCheckMs` old; returns how many rows it processed (0 when nothing is ready). The
   * loops call it; tests call it directly to step the pipeline.
   */
  async runOnce(): Promise<number> {
    const now = this.#deps.clock.now();
    const rows = await claimQueueRows(this.#deps.db, {
      now,
      leaseUntil: new Date(now.getTime() + this.#opts.leaseMs),
      limit: this.#opts.batchSize,
    });
    if (rows.length > 0) await this.#process(rows);
    let flushed = 0;
    if (performance.now() - this.#lastBatchCheck >= this.#opts.batchCheckMs) {
      flushed = await this.flushBatches();
    }
    return rows.length + flushed;
  }

  /**
   * Flushes every batch-mode connection whose batch is due (batchSize waiting, or the oldest waited
   * `frequency` minutes); returns the rows processed. Runs at most one pass at a time per instance.
   */
  flushBatches(): Promise<number> {
    this.#lastBatchCheck = performance.now();
    this.#batchPass ??= flushDueBatches(this.#deps, {
      drivers: this.#drivers,
      leaseMs: this.#opts.leaseMs,
      fallbackLimit: this.#opts.batchSize,
      signal: this.#abort.signal,
      process: (rows) => this.#process(rows),
    }).finally(() => this.#batchPass = null);
    return this.#batchPass;
  }

  async #process(rows: QueueRow[]): Promise<void> {
    // Slow functions or a slow endpoint can make a batch outlast its lease: renew it while working, so
    // no other worker takes these rows (which would deliver them twice).
    const ids = rows.map((r) => r.id);
    const renew = setInterval(() => {
      const until = new Date(this.#deps.clock.now().getTime() + this.#opts.leaseMs);
      extendQueueLease(this.#deps.db, ids, until).catch((e) =>
        this.#deps.log.warn("cannot renew queue lease", { error: e })
      );
    }, Math.max(100, this.#opts.leaseMs / 3));
    let s: BatchStats;
    try {
      s = await processBatch(this.#deps, rows, {
        sandbox: this.#sandbox,
        drivers: this.#drivers,
        signal: this.#abort.signal,
      });
    } finally {
      clearInterval(renew);
    }
    for (const k of Object.keys(s) as (keyof BatchStats)[]) this.totals[k] += s[k];
    const m = this.#deps.metrics;
    for (
      const [outcome, n] of [
        ["delivered", s.delivered],
        ["retried", s.retried],
        ["dead_lettered", s.deadLettered],
        ["dropped", s.dropped],
      ] as const
    ) if (n) m.inc("sluice_pipeline_events_total", { outcome }, n);
  }

  /** Processes until nothing is ready, due batches included (tests). */
  async drain(): Promise<void> {
    for (;;) {
      const n = await this.runOnce();
      if (n === 0 && await this.flushBatches() === 0) return;
    }
  }

  /** Stops the loops after their current batch and closes the drivers. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      this.wake();
      await Promise.all(this.#loops);
      await this.#unlisten?.().catch(() => {});
      for (const d of this.#drivers.values()) await d.close?.().catch(() => {});
    })();
    return this.#stopping;
  }

  async #loop(n: number): Promise<void> {
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      let processed = 0;
      try {
        processed = await this.runOnce();
        failures = 0;
      } catch (e) {
        // The batch's leases end on their own and the rows are taken again; back off meanwhile.
        failures++;
        this.#deps.log.error("pipeline batch failed", { worker: n, error: e });
      }
      if (processed > 0 && failures === 0) continue;
      await this.#sleep(failures ? Math.min(30_000, 1000 * 2 ** failures) : this.#opts.pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakers.push(done);
    });
  }
}
