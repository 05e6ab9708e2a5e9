/**
 * How the Pipeline's idle claim loops sleep and are woken: each sleeps until its poll interval passes or a
 * wake-up comes (a NOTIFY from ingest, a lane with room again, shutdown). A wake-up that finds no loop asleep
 * is kept, so the next loop to sleep claims again at once instead of missing it.
 */
export class Wakeups {
  #sleepers: (() => void)[] = [];
  #pending = false;

  /** Wakes every sleeping loop (or the next to sleep). */
  all(): void {
    const w = this.#sleepers;
    this.#sleepers = [];
    if (w.length === 0) this.#pending = true;
    for (const f of w) f();
  }

  /** Wakes one sleeping loop (one claim is enough for one freed chunk or one NOTIFY). */
  one(): void {
    const f = this.#sleepers.shift();
    if (f) f();
    else this.#pending = true;
  }

  /** Sleeps `ms`, or until a wake-up; at once when one is pending or `signal` is aborted. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#sleepers.push(done);
    });
  }
}
