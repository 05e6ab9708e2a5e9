/**
 * The queue consumer of one instance: PIPELINE_WORKERS loops claim ready rows (FOR UPDATE SKIP LOCKED
 * plus a lease, so instances sharing a PostgreSQL split the work) and hand them to per-connection lanes
 * (lanes.ts), which process and commit each connection's work on its own, PIPELINE_CONCURRENCY lanes at
 * once: a slow connection holds only its own rows. Idle loops sleep until a NOTIFY from ingest, a lane
 * with room again, or the next poll. Started by startServer(), stopped on shutdown: chunks being
 * processed finish, the leases of waiting rows are released.
 */
import type { Deps } from "../deps.ts";
import { noticeStreams, QUEUE_CHANNEL } from "./queue_payload.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Unlisten } from "../store/db.ts";
import { cachedLiveConnections } from "../services/pipeline_config.ts";
import {
  claimQueueRows,
  extendQueueLease,
  newLeaseToken,
  parkForBatch,
  releaseQueueRows,
} from "../store/queue_repo.ts";
import { type QueueRow } from "../store/queue_rows.ts";
import { batchSettingsOf, flushDueBatches } from "./batch_mode.ts";
import { HeldBatches, MAX_HELD_ROWS } from "./held_batches.ts";
import { defaultDrivers, type DriverTable } from "./drivers.ts";
import type { BatchStats, ParkedRows } from "./job.ts";
import { Lanes } from "./lanes.ts";
import { ParkedCounts } from "./parked_counts.ts";
import { processIsolated } from "./poison.ts";
import { Wakeups } from "./wakeups.ts";

export interface PipelineOptions {
  workers?: number;
  batchSize?: number;
  /** Chunks processed at once in all lanes. */
  concurrency?: number;
  /** Chunks of one lane (a stream, or a connection's own rows) processed at once. */
  perLane?: number;
  /** How long a claimed row stays away from other consumers. */
  leaseMs?: number;
  /** Idle loops look at the queue at least this often (NOTIFY usually wakes them first). */
  pollMs?: number;
  /** How often (real time) a loop looks for due batch-mode batches (batch_mode.ts). */
  batchCheckMs?: number;
  /**
   * Batch-mode rows held in memory at most until their batch is due (held_batches.ts); 0 parks every
   * such row in the queue as it is claimed.
   */
  holdRows?: number;
  sandbox?: Sandbox;
  drivers?: DriverTable;
}

/** A held batch-mode batch that got no row for this long is parked in the queue (held_batches.ts). */
const HELD_IDLE_MS = 5_000;

/** A running consumer. */
export class Pipeline {
  readonly #deps: Deps;
  readonly #opts: Required<Omit<PipelineOptions, "sandbox" | "drivers">>;
  readonly #sandbox: Sandbox;
  readonly #drivers: DriverTable;
  readonly #abort = new AbortController();
  #loops: Promise<void>[] = [];
  readonly #wakeups = new Wakeups();
  #unlisten: Unlisten | null = null;
  #stopping: Promise<void> | null = null;
  /** One batch pass at a time in this instance (others' passes are kept apart by SKIP LOCKED). */
  #batchPass: Promise<number> | null = null;
  #lastBatchCheck = 0;
  /** Batch-mode rows waiting in the queue as far as this instance knows (a full batch starts a pass). */
  readonly #parked = new ParkedCounts();
  /** A chunk made a parked batch due while a pass was running: the pass looks again when it ends. */
  #passAgain = false;
  readonly #lanes: Lanes;
  /** Batch-mode rows waiting in memory for their batch (leased; renewed by #heldTimer). */
  readonly #held: HeldBatches;
  #heldTimer: ReturnType<typeof setInterval> | null = null;
  /**
   * This instance's lease token: its claims lease rows with it, and its commits, parks, renewals and releases
   * change only rows still leased with it (a row another instance claimed once this one's lease ran out is
   * left alone: store/queue_repo.ts).
   */
  readonly #lease = newLeaseToken();
  /** The last claim found fewer rows than it could take: the queue ran dry (for now). */
  #dry = false;
  /** Held rows being parked (the queue ran dry, or shutdown). */
  #parking: Promise<void> | null = null;
  /** Rows the lanes hold at most (claims stop beyond). */
  readonly #maxHeld: number;
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
      concurrency: deps.config.pipelineConcurrency,
      perLane: 2,
      leaseMs: 60_000,
      pollMs: 1000,
      batchCheckMs: 1000,
      holdRows: MAX_HELD_ROWS,
      ...options,
    };
    this.#sandbox = options.sandbox ?? deps.sandbox;
    this.#drivers = options.drivers ?? defaultDrivers(deps);
    const o = this.#opts;
    const laneRows = (o.perLane + 1) * o.batchSize;
    this.#maxHeld = laneRows * Math.max(1, o.concurrency);
    this.#lanes = new Lanes({
      concurrency: Math.max(1, o.concurrency),
      perLane: Math.max(1, o.perLane),
      chunkRows: o.batchSize,
      laneRows,
      renewMs: Math.max(100, o.leaseMs / 3),
      process: (rows) => this.#process(rows),
      // A freed chunk makes rows claimable only when its lane was full and is not now (claims skipped its
      // rows; two loops claiming at once can fill a lane past laneRows, and it may still be full) or the
      // lanes' total held the claims' limit down; otherwise a claim now finds nothing the last one did not
      // take. Waking every loop on every chunk's end made 149 of 249 claims of a one-stream drain empty, each
      // walking every queued row of the full lane's stream (docs/performance.md, delivery throughput).
      onFree: ({ laneOpened, heldBefore }) => {
        if (laneOpened || heldBefore > this.#maxHeld - o.batchSize) this.#wakeups.one();
      },
      renew: (ids) =>
        extendQueueLease(deps.db, ids, new Date(deps.clock.now().getTime() + o.leaseMs), this.#lease),
      onError: (e) => deps.log.error("pipeline chunk failed", { error: e }),
    });
    // A held batch that is due goes to its connection's lane as one chunk, as a parked batch does.
    // (After shutdown began the lanes take nothing more: the batch is parked instead.)
    this.#held = new HeldBatches((rows) => {
      if (this.#abort.signal.aborted) {
        this.#park(rows.map((r) => ({ id: r.id, connectionId: r.connectionId! })));
      } else void this.#lanes.add(rows, { whole: true });
    }, o.holdRows);
  }

  /** Starts the loops and listens for new rows. */
  async start(): Promise<void> {
    this.#unlisten = await this.#deps.db.listen(QUEUE_CHANNEL, (payload) => {
      // Rows of streams whose lanes are all full here would be skipped by a claim: it would walk them and
      // find nothing, provided the last claim left nothing else behind (it was not cut by its limit).
      // Those lanes wake a loop themselves once they have room. After a cut claim the notice still wakes
      // a loop: other streams' rows may be waiting behind the full ones, and must not wait for the poll.
      const streams = noticeStreams(payload);
      if (streams && this.#dry && streams.every((s) => this.#lanes.streamFull(s))) return;
      this.#wakeups.one();
    });
    for (let i = 0; i < this.#opts.workers; i++) this.#loops.push(this.#loop(i));
  }

  /** Wakes idle loops now (new rows). */
  wake(): void {
    this.#wakeups.all();
  }

  /**
   * Claims one batch of ready rows, processes them (and whatever the lanes held), and flushes due
   * batch-mode batches when the last look is `batchCheckMs` old; returns how many rows it claimed and
   * flushed (0 when nothing is ready). Tests call it to step the pipeline.
   */
  async runOnce(): Promise<number> {
    const { n } = await this.#claim();
    await this.#lanes.idle();
    // A pass that found the queue dry parks what it holds: the caller (tests, the background pass of an
    // instance without loops) may stop here.
    if (this.#dry) this.#parkHeld();
    await this.#parking;
    let flushed = 0;
    if (performance.now() - this.#lastBatchCheck >= this.#opts.batchCheckMs) {
      flushed = await this.flushBatches();
    } else if (this.#batchPass) {
      // A pass its chunks started (they filled a parked batch).
      flushed = await this.#batchPass;
    }
    return n + flushed;
  }

  /**
   * Claims what the lanes have room for, skipping full lanes' rows, and hands it to them; `more` tells
   * whether claiming again at once may find rows: the claim was cut by its limit and one of the lanes it
   * fed still has room. When every claimed row's lane is full now, the next claim would skip them all and
   * walk that stream's queued rows to find other streams' (an empty claim of 20 ms on a 20,000-row backlog);
   * other streams' rows are claimed on the next wake-up instead (a NOTIFY, a freed lane, the poll).
   */
  async #claim(): Promise<{ n: number; more: boolean }> {
    const room = this.#maxHeld - this.#lanes.held;
    if (room <= 0 || this.#abort.signal.aborted) return { n: 0, more: false };
    const now = this.#deps.clock.now();
    const full = this.#lanes.full();
    const limit = Math.min(this.#opts.batchSize, room);
    const rows = await claimQueueRows(this.#deps.db, {
      lease: this.#lease,
      now,
      leaseUntil: new Date(now.getTime() + this.#opts.leaseMs),
      limit,
      skipStreams: full.streams,
      skipConnections: full.connections,
    });
    this.#lanes.add(rows);
    this.#dry = rows.length < limit;
    const more = rows.length === limit && this.#lanes.held < this.#maxHeld &&
      rows.some((r) => !this.#lanes.laneFull(r));
    return { n: rows.length, more };
  }

  /**
   * Flushes every batch-mode connection whose batch is due (batchSize waiting, or the oldest waited
   * `frequency` minutes); returns the rows processed. Runs at most one pass at a time per instance.
   */
  flushBatches(): Promise<number> {
    this.#lastBatchCheck = performance.now();
    this.#batchPass ??= (async () => {
      let n = 0;
      try {
        do {
          this.#passAgain = false;
          n += await this.#pass();
        } while (this.#passAgain && !this.#abort.signal.aborted);
      } finally {
        // In the same turn as the last look at #passAgain: a `.finally()` on the promise would run a few
        // microtasks later, and a chunk committing in between would set the flag for a pass that is over
        // (its full batch then waited for the next timed check).
        this.#batchPass = null;
      }
      return n;
    })();
    return this.#batchPass;
  }

  async #pass(): Promise<number> {
    const held = await this.#flushDueHeld();
    this.#parkIdle();
    // What was parked until now the pass sees (and tells what it left); what chunks park from here on is
    // counted anew.
    this.#parked.clear();
    const parked = await flushDueBatches(this.#deps, {
      drivers: this.#drivers,
      leaseMs: this.#opts.leaseMs,
      lease: this.#lease,
      fallbackLimit: this.#opts.batchSize,
      signal: this.#abort.signal,
      process: (rows) => this.#lanes.add(rows, { whole: true }),
      onLeft: (g, rows, batchSize) => {
        // Chunks parked rows while the pass ran that, with the rest it left, fill a batch: look again.
        if (this.#parked.left(g, rows, batchSize)) this.#passAgain = true;
      },
    });
    return held + parked;
  }

  /** A chunk's commit parked rows for batch-mode connections: a batch they filled is flushed now. */
  #onParked(parked: readonly ParkedRows[]): void {
    if (!this.#parked.add(parked) || this.#abort.signal.aborted) return;
    if (this.#batchPass) this.#passAgain = true;
    else this.flushBatches().catch((e) => this.#deps.log.error("batch flush failed", { error: e }));
  }

  /**
   * Hands on held batches that are due by time (the oldest row waited `frequency`) or whose connection
   * left batch mode (switched to stream: sent now; disabled or gone: dropped, as parked rows are).
   */
  async #flushDueHeld(): Promise<number> {
    if (this.#held.size === 0) return 0;
    const now = this.#deps.clock.now();
    return await this.#held.flushDue(async (g) => {
      const live = await cachedLiveConnections(this.#deps, g.workspaceId, g.streamId);
      const conn = live.find((c) => c.id === g.connectionId);
      const settings = conn ? batchSettingsOf(conn, this.#drivers) : null;
      return !settings || now.getTime() - g.oldest.getTime() >= settings.frequencyMs;
    });
  }

  /**
   * Parks every held row (one UPDATE): on shutdown, and when runOnce() found the queue dry (its caller may
   * stop there; a partial batch then waits for its `frequency`, and another instance may hold the rest of
   * it: parked, the parts make one batch again). A failure leaves the rows to their lease.
   */
  #parkHeld(): void {
    if (this.#held.size > 0) this.#park(this.#held.takeAll());
  }

  /** Parks held batches that got no row for a while (the loops' batch pass). */
  #parkIdle(): void {
    const rows = this.#held.size > 0 ? this.#held.takeIdle(HELD_IDLE_MS) : [];
    if (rows.length > 0) this.#park(rows);
  }

  #park(rows: { id: string; connectionId: string }[]): void {
    this.#renewHeld();
    const prev = this.#parking;
    const p: Promise<void> = (async () => {
      await prev;
      await parkForBatch(this.#deps.db, rows.map((r) => ({ ...r, lease: this.#lease }))).catch((e) =>
        this.#deps.log.error("parking held batch rows failed; their lease will end", { error: e })
      );
    })().finally(() => {
      if (this.#parking === p) this.#parking = null;
    });
    this.#parking = p;
  }

  /** Renews the leases of held rows while there are any (call whenever what is held may have changed). */
  #renewHeld(): void {
    if (this.#held.size === 0) {
      if (this.#heldTimer !== null) clearInterval(this.#heldTimer);
      this.#heldTimer = null;
      return;
    }
    if (this.#heldTimer !== null) return;
    const o = this.#opts;
    this.#heldTimer = setInterval(() => {
      if (this.#held.size === 0) return this.#renewHeld();
      const until = new Date(this.#deps.clock.now().getTime() + o.leaseMs);
      extendQueueLease(this.#deps.db, this.#held.ids(), until, this.#lease).catch((e) =>
        this.#deps.log.error("renewing held batch rows' lease failed", { error: e })
      );
    }, Math.max(100, o.leaseMs / 3));
  }

  async #process(rows: QueueRow[]): Promise<void> {
    const s = await processIsolated(this.#deps, rows, {
      sandbox: this.#sandbox,
      drivers: this.#drivers,
      signal: this.#abort.signal,
      held: this.#held,
      onParked: (p) => this.#onParked(p),
    });
    this.#renewHeld();
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
      await this.#batchPass?.catch(() => {});
      const waiting = await this.#lanes.stop();
      // Waiting rows of held batches that were due go back to the queue as stream rows (released below)
      // and are claimed and held again; rows still held are parked, keeping their place in their batch.
      this.#parkHeld();
      await this.#parking;
      this.#renewHeld();
      await releaseQueueRows(this.#deps.db, waiting.map((r) => r.id), this.#lease).catch(() => {});
      await this.#unlisten?.().catch(() => {});
      for (const d of this.#drivers.values()) await d.close?.().catch(() => {});
    })();
    return this.#stopping;
  }

  async #loop(n: number): Promise<void> {
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      let more = false;
      try {
        more = (await this.#claim()).more;
        failures = 0;
      } catch (e) {
        // Nothing was claimed; back off while the database is away.
        failures++;
        this.#deps.log.error("pipeline claim failed", { worker: n, error: e });
      }
      if (performance.now() - this.#lastBatchCheck >= this.#opts.batchCheckMs) {
        // In the background: a batch being loaded never holds up stream rows.
        this.flushBatches().catch((e) => this.#deps.log.error("batch flush failed", { error: e }));
      }
      if (more && failures === 0) continue;
      const ms = failures ? Math.min(30_000, 1000 * 2 ** failures) : this.#opts.pollMs;
      await this.#wakeups.sleep(ms, this.#abort.signal);
    }
  }
}
