/** Calling a driver directly, as the pipeline does, and recording the waits it asks for. */
import type { DestinationDriver, PipelineEvent, WriteResult } from "../../../src/destinations/driver.ts";
import { memoryLogger } from "../../../src/log.ts";

/** Calls `driver.write` with one connection's events. */
export function writeEvents(
  driver: DestinationDriver,
  credentials: Record<string, unknown>,
  events: PipelineEvent[],
): Promise<WriteResult[]> {
  return driver.write({
    events,
    destination: { id: "d1", type: driver.type, workspaceId: "ws1", credentials },
    connection: { id: "c1", streamId: "s1", mode: "stream", options: {} },
    log: memoryLogger(),
    signal: new AbortController().signal,
  });
}

/** A sleep seam that records each wait and returns at once. */
export function recordedSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return {
    waits,
    sleep(ms: number) {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

/** `n` track events of one user. */
export function tracks(n: number, prefix = "t"): PipelineEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    type: "track",
    event: "Clicked",
    messageId: `${prefix}-${i}`,
    userId: "user-1",
    anonymousId: "anon-00001",
    timestamp: "2026-03-01T10:00:00.000Z",
    properties: { i },
    context: { ip: "203.0.113.5" },
  }));
}
