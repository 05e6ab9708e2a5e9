/**
 * How many events of one chain go to the runner in one message (Sandbox.runChains). A call's runs of a
 * chain are split over its lanes (up to 16 batches in flight) so that functions that wait (on fetch, the
 * store) overlap; a chain whose last batch was quick is not split: for calls that never wait the split only
 * cost CPU (a message each way per batch, the worker switching between batches): a trivial function took
 * ~20 µs of runner CPU per event in 16 batches of a 1,000-event chunk, ~12 µs in 2.
 */
import type { ChainOutcome } from "./protocol.ts";

/** At most this many events in one message to a runner. */
export const MAX_BATCH = 500;

/**
 * A batch whose calls took less than this on average (ms) and made no `ctx` call to the host did not wait
 * for anything worth overlapping. An average, not a limit per call: on a loaded machine a trivial call is
 * now and then descheduled or paused by GC for a few ms (measured: 2-6 ms in 7 of 20 chunks of the
 * pipeline bench).
 */
export const QUICK_MS = 0.25;

/**
 * Events per batch for `n` runs of one chain over `lanes`: as many as allowed for a penalised workspace
 * (one batch at a time: splitting gains it nothing) and for a chain known to be quick.
 */
export function batchSize(n: number, lanes: number, one: boolean): number {
  return one ? MAX_BATCH : Math.min(MAX_BATCH, Math.max(1, Math.ceil(n / lanes)));
}

/**
 * Whether a batch was quick: no `ctx` call to the host (`calledOut`), no timeout or crash, calls under
 * QUICK_MS on average.
 */
export function quickBatch(outcomes: readonly ChainOutcome[], calledOut: boolean): boolean {
  if (calledOut) return false;
  let ms = 0;
  for (const o of outcomes) {
    if (o.error?.name === "TimeoutError" || o.error?.name === "SandboxError") return false;
    for (const x of o.execLog) ms += x.ms;
  }
  return ms < outcomes.length * QUICK_MS;
}
