/**
 * CPU fairness between workspaces in the sandbox. A call that never yields (`while(true){}`) spins a
 * core until `FUNCTIONS_TIMEOUT_MS`; a workspace whose calls do that gets a penalty, so it slows only
 * itself:
 * - its runner process drops to the lowest CPU priority (nice 19, every thread): it runs on what the
 *   other workspaces leave idle;
 * - at most one of its batches is in flight at a time (instead of up to 16), so a stuck call interrupts
 *   no batch-mates and every event meets its own time limit;
 * - all penalised workspaces together hold at most `slots` batches in flight (half the cores, at least
 *   one), handed out round robin between the workspaces waiting.
 * The penalty lasts until the workspace has gone `penaltyMs` without a stuck call. Its niced runner is
 * replaced by one at normal priority once it is idle (raising a nice value back needs privileges).
 */
import { type Clock, systemClock } from "../clock.ts";

/** What the test seam sees each time a batch starts or ends in the sandbox. */
export interface BatchEvent {
  phase: "start" | "end";
  workspaceId: string;
  /** The workspace's batches in flight, counting this one when it starts. */
  inFlight: number;
  penalised: boolean;
}

export interface FairnessOptions {
  /** A penalty ends this long after the workspace's last stuck call, ms. */
  penaltyMs?: number;
  /** Batches of all penalised workspaces in flight at once. */
  slots?: number;
  clock?: Clock;
  /** Test seam: told of every batch start and end. */
  onBatch?: (e: BatchEvent) => void;
}

/** Default penalty: a minute without a stuck call. */
export const PENALTY_MS = 60_000;

/** Tracks penalised workspaces and admits their batches. */
export class CpuFairness {
  readonly #penaltyMs: number;
  readonly #slots: number;
  readonly #clock: Clock;
  readonly #onBatch?: (e: BatchEvent) => void;
  /** Workspace: time of its last stuck call (ms). */
  readonly #stuckAt = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  /** Penalised workspaces with a batch in flight. */
  readonly #holding = new Set<string>();
  /** Penalised batches waiting for their turn, first asked first. */
  readonly #queue: { workspaceId: string; go: () => void }[] = [];
  #slotsUsed = 0;
  /** Workspace: when it last got a slot (a counter), for the round robin. */
  readonly #lastTurn = new Map<string, number>();
  #turns = 0;

  constructor(options: FairnessOptions = {}) {
    this.#penaltyMs = options.penaltyMs ?? PENALTY_MS;
    this.#slots = Math.max(1, options.slots ?? Math.floor((navigator.hardwareConcurrency ?? 2) / 2));
    this.#clock = options.clock ?? systemClock;
    this.#onBatch = options.onBatch;
  }

  /** Records a stuck call of `workspaceId`: starts or extends its penalty. */
  stuck(workspaceId: string): void {
    this.#stuckAt.set(workspaceId, this.#clock.now().getTime());
  }

  /** Whether `workspaceId` is penalised now. */
  penalised(workspaceId: string): boolean {
    const at = this.#stuckAt.get(workspaceId);
    if (at === undefined) return false;
    if (this.#clock.now().getTime() - at < this.#penaltyMs) return true;
    this.#stuckAt.delete(workspaceId);
    return false;
  }

  /** Batches of `workspaceId` in flight. */
  inFlight(workspaceId: string): number {
    return this.#inFlight.get(workspaceId) ?? 0;
  }

  /**
   * Waits until a batch of `workspaceId` may start (at once unless the workspace is penalised) and
   * returns the function that ends it.
   */
  async admit(workspaceId: string): Promise<() => void> {
    let held = false;
    if (this.penalised(workspaceId)) {
      if (!this.#free(workspaceId)) {
        await new Promise<void>((go) => this.#queue.push({ workspaceId, go }));
      } else this.#take(workspaceId);
      held = true;
    }
    const n = this.inFlight(workspaceId) + 1;
    this.#inFlight.set(workspaceId, n);
    this.#onBatch?.({ phase: "start", workspaceId, inFlight: n, penalised: held });
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.inFlight(workspaceId) - 1;
      if (left > 0) this.#inFlight.set(workspaceId, left);
      else this.#inFlight.delete(workspaceId);
      this.#onBatch?.({ phase: "end", workspaceId, inFlight: left, penalised: held });
      if (held) {
        this.#holding.delete(workspaceId);
        this.#slotsUsed--;
      }
      // Also after an unpenalised batch: a penalised one of the same workspace may wait for it.
      if (this.#queue.length > 0) this.#grant();
    };
  }

  // A penalised batch may start: a slot is free and none of its workspace's batches is in flight
  // (including ones admitted before the penalty began).
  #free(workspaceId: string): boolean {
    return this.#slotsUsed < this.#slots && !this.#holding.has(workspaceId) &&
      this.inFlight(workspaceId) === 0;
  }

  #take(workspaceId: string) {
    this.#holding.add(workspaceId);
    this.#slotsUsed++;
    this.#lastTurn.set(workspaceId, ++this.#turns);
  }

  // Hands free slots to waiting batches: the workspace whose last turn is oldest first (round robin),
  // then in the order asked.
  #grant() {
    while (this.#slotsUsed < this.#slots) {
      let pick = -1;
      for (let i = 0; i < this.#queue.length; i++) {
        const ws = this.#queue[i].workspaceId;
        if (!this.#free(ws)) continue;
        if (pick < 0 || this.#turnOf(ws) < this.#turnOf(this.#queue[pick].workspaceId)) pick = i;
      }
      if (pick < 0) return;
      const [w] = this.#queue.splice(pick, 1);
      this.#take(w.workspaceId);
      w.go();
    }
    if (this.#queue.length === 0) this.#lastTurn.clear();
  }

  #turnOf(workspaceId: string): number {
    return this.#lastTurn.get(workspaceId) ?? 0;
  }
}
