/**
 * The deadlines of the client connections the listener holds (src/http/listener.ts). A connection that is
 * between requests has a deadline: a new one must bring a whole request head within the header timeout, a
 * kept-alive one its next request within the idle timeout. While a request is being handled it has none
 * (a slow handler or a long response is not the client's fault). `sweep()` closes the ones past it.
 *
 * Why "between requests" and not "bytes arrived": Deno's HTTP engine reads the socket itself and tells
 * JavaScript only of whole request heads, so a client trickling a header one byte a second looks exactly
 * like an idle one until its head is complete, which is the point of the header timeout.
 */

export interface TrackedConnection {
  /** Requests dispatched on this connection whose response has not been sent yet. */
  inflight: number;
  /** When it is closed if no request is in flight by then (ms on the tracker's clock); Infinity: never. */
  deadline: number;
  /** Closes the connection gracefully: at once when idle, after the response when a request came in. */
  close(): void;
}

export interface ConnectionTimeoutsOptions {
  headerTimeoutMs: number;
  idleTimeoutMs: number;
  /** Monotonic milliseconds; tests pass a fake. */
  now?: () => number;
}

export class ConnectionTimeouts {
  readonly #open = new Set<TrackedConnection>();
  readonly #headerMs: number;
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor({ headerTimeoutMs, idleTimeoutMs, now = () => performance.now() }: ConnectionTimeoutsOptions) {
    this.#headerMs = headerTimeoutMs;
    this.#idleMs = idleTimeoutMs;
    this.#now = now;
  }

  /** Connections tracked now. */
  get size(): number {
    return this.#open.size;
  }

  /** Starts tracking a new connection: its first request head is due within the header timeout. */
  add(close: () => void): TrackedConnection {
    const c: TrackedConnection = { inflight: 0, deadline: this.#now() + this.#headerMs, close };
    this.#open.add(c);
    return c;
  }

  /** Stops tracking a connection that has ended. */
  remove(c: TrackedConnection): void {
    this.#open.delete(c);
  }

  /** A request head arrived and was dispatched: no deadline while it is handled. */
  requestStarted(c: TrackedConnection): void {
    c.inflight++;
    c.deadline = Infinity;
  }

  /** A response was sent (or failed to be): the idle timeout starts when none is left in flight. */
  requestEnded(c: TrackedConnection): void {
    c.inflight = Math.max(0, c.inflight - 1);
    if (c.inflight === 0) c.deadline = this.#now() + this.#idleMs;
  }

  /** Closes every idle connection past its deadline; returns how many. */
  sweep(): number {
    const now = this.#now();
    let closed = 0;
    for (const c of this.#open) {
      if (c.inflight > 0 || now < c.deadline) continue;
      // Once: close() is graceful and the connection stays tracked until it has actually ended.
      c.deadline = Infinity;
      closed++;
      c.close();
    }
    return closed;
  }

  /** Every tracked connection (for shutdown). */
  all(): TrackedConnection[] {
    return [...this.#open];
  }
}
