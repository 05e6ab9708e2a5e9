/**
 * Batch-mode connections' rows waiting in the queue, as far as one instance knows: what its last batch pass
 * left there plus what its chunks parked since that pass looked (rows parked beside a stream-mode connection,
 * copies for a second batch-mode connection, rows over the held bound). The Pipeline starts a pass as soon
 * as a connection's count reaches its batchSize, so a full batch does not wait for the next timed batch
 * check. Other instances' rows are not counted: a batch made of several instances' rows waits for the check.
 */
import type { ParkedRows } from "./job.ts";

const keyOf = (workspaceId: string, connectionId: string) => `${workspaceId}/${connectionId}`;

export class ParkedCounts {
  readonly #counts = new Map<string, number>();

  /** A pass is about to look: it sees what was parked until now; what chunks park from here on counts anew. */
  clear(): void {
    this.#counts.clear();
  }

  /** A chunk's commit parked `parked`: whether a connection's count reached its batchSize. */
  add(parked: readonly ParkedRows[]): boolean {
    let due = false;
    for (const p of parked) {
      const key = keyOf(p.workspaceId, p.connectionId);
      const n = (this.#counts.get(key) ?? 0) + p.rows;
      this.#counts.set(key, n);
      if (n >= p.batchSize) due = true;
    }
    return due;
  }

  /**
   * The pass left `rows` of a connection waiting (seen, not due): whether rows chunks parked while it ran
   * fill a batch with them (the pass then looks again).
   */
  left(g: { workspaceId: string; connectionId: string }, rows: number, batchSize: number): boolean {
    if (rows === 0) return false;
    const key = keyOf(g.workspaceId, g.connectionId);
    const since = this.#counts.get(key);
    this.#counts.set(key, (since ?? 0) + rows);
    return since !== undefined && since + rows >= batchSize;
  }
}
