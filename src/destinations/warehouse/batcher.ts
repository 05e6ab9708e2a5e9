import { type Clock, systemClock } from "../../clock.ts";
import type { EventOutcome, WarehouseEvent, WriteOutcome } from "./types.ts";

/** Thrown to every event of a batch whose transaction did not commit: none of it is stored. */
export class BatchNotCommittedError extends Error {
  override name = "BatchNotCommittedError";
}

interface Pending {
  event: WarehouseEvent;
  resolve(o: EventOutcome): void;
  reject(e: unknown): void;
}

export interface BatcherOptions {
  /** Flush when this many events wait. */
  batchSize: number;
  /** Flush when the oldest waiting event has waited this long. */
  frequencyMs: number;
  clock?: Clock;
  /** Called with each flushed batch's outcome (to log `bulker_batch` / `bulker_stream`). */
  onFlush?(outcome: WriteOutcome, events: WarehouseEvent[]): void | Promise<void>;
}

/**
 * Batch mode: buffers events and flushes them through `write` (one transaction) when `batchSize` is
 * reached or the oldest has waited `frequencyMs`. `add()` resolves only after the event's batch
 * committed, so a queue that acknowledges an event when `add()` resolves never loses one to a crash:
 * an unflushed or aborted batch is simply delivered again (and `deduplicate` absorbs a batch that
 * committed just before the crash). Time is read from `clock`; `tick()` checks it, and `start()` runs
 * `tick()` on a timer (tests call `tick()` themselves with a fake clock).
 */
export class Batcher {
  #buffer: Pending[] = [];
  #oldest = 0;
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #clock: Clock;

  constructor(
    readonly write: (events: WarehouseEvent[]) => Promise<WriteOutcome>,
    readonly options: BatcherOptions,
  ) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Events waiting for the next flush. */
  get size(): number {
    return this.#buffer.length;
  }

  /** Buffers an event; resolves with its outcome once its batch committed, rejects if it did not. */
  add(event: WarehouseEvent): Promise<EventOutcome> {
    return new Promise<EventOutcome>((resolve, reject) => {
      if (this.#buffer.length === 0) this.#oldest = this.#clock.now().getTime();
      this.#buffer.push({ event, resolve, reject });
      if (this.#buffer.length >= this.options.batchSize) void this.flush();
    });
  }

  /** Flushes when the oldest waiting event is older than `frequencyMs`. */
  async tick(): Promise<void> {
    if (this.#buffer.length && this.#clock.now().getTime() - this.#oldest >= this.options.frequencyMs) {
      await this.flush();
    }
    await this.#chain;
  }

  /** Writes everything buffered now (after any flush already running). */
  flush(): Promise<void> {
    const batch = this.#buffer;
    this.#buffer = [];
    if (batch.length === 0) return this.#chain;
    this.#chain = this.#chain.then(() => this.#run(batch));
    return this.#chain;
  }

  async #run(batch: Pending[]): Promise<void> {
    const events = batch.map((p) => p.event);
    let outcome: WriteOutcome;
    try {
      outcome = await this.write(events);
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    try {
      await this.options.onFlush?.(outcome, events);
    } catch {
      // Logging a status must never turn a committed batch into a redelivery.
    }
    if (!outcome.committed) {
      const err = new BatchNotCommittedError(
        `Batch of ${batch.length} events was not committed: ${outcome.error}`,
      );
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => p.resolve(outcome.events[i]));
  }

  /** Runs `tick()` every `intervalMs` until stop(). */
  start(intervalMs = Math.min(1000, this.options.frequencyMs)): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.tick().catch(() => {}), intervalMs);
  }

  /** Stops the timer and flushes what is left. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
