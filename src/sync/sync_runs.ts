/**
 * The sync runs in flight in one app (Deps.syncRuns): closeDeps() stops them before the store closes.
 * A stopped run kills its connector and fails; its saved state stays, so the next run resumes.
 */
export class SyncRuns {
  readonly #stop = new AbortController();
  readonly #running = new Set<Promise<unknown>>();

  /** Aborted when the app shuts down. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  track(done: Promise<unknown>): void {
    this.#running.add(done);
    done.finally(() => this.#running.delete(done));
  }

  /** Stops every run and waits for each to record its end. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#running]);
  }
}
