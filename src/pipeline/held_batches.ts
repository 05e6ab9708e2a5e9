/**
 * Batch-mode rows held in memory from their first claim until their batch is due, instead of being
 * parked (an UPDATE turning them into waiting `batch` rows) and claimed a second time when the batch is
 * due (src/pipeline/batch_mode.ts). A held row stays in the queue as the stream row it was, leased by this
 * instance (the Pipeline renews the lease): if the process dies, the lease ends and the row is claimed and
 * delivered again, never lost. Bounded: at most `batchSize` rows per connection (a full group is handed on
 * as one batch at once) and `maxRows` in all; beyond that, when the queue runs dry (a partial batch would
 * wait for its `frequency`, and another instance may hold the rest of it) and on shutdown, rows are parked
 * as before.
 */
import type { QueueRow } from "../store/queue_repo.ts";
import type { BatchSettings } from "./batch_mode.ts";

/** Rows held in memory at most, all connections together (about 1 KB of event text each). */
export const MAX_HELD_ROWS = 20_000;

/** A stream row whose one connection is in batch mode. */
export interface BatchConvert {
  id: string;
  connectionId: string;
  row: QueueRow;
  settings: BatchSettings;
}

interface Group {
  workspaceId: string;
  streamId: string;
  connectionId: string;
  settings: BatchSettings;
  rows: QueueRow[];
}

export class HeldBatches {
  readonly #maxRows: number;
  readonly #groups = new Map<string, Group>();
  readonly #ids = new Set<string>();
  /** Hands a due batch on (the Pipeline's lanes, as one whole chunk). */
  readonly #onDue: (rows: QueueRow[]) => void;

  constructor(onDue: (rows: QueueRow[]) => void, maxRows = MAX_HELD_ROWS) {
    this.#onDue = onDue;
    this.#maxRows = maxRows;
  }

  /** Rows held. */
  get size(): number {
    return this.#ids.size;
  }

  /** Ids of the rows held (their leases are renewed). */
  ids(): string[] {
    return [...this.#ids];
  }

  /**
   * Holds what it can of `converts`; returns the ids it now holds (to {@linkcode forget} if the chunk's
   * commit fails) and the rows to park. A row already held (claimed again after its lease lapsed) is
   * neither: it stays where it is.
   */
  hold(converts: readonly BatchConvert[]): { held: string[]; park: BatchConvert[] } {
    const held: string[] = [];
    const park: BatchConvert[] = [];
    for (const c of converts) {
      if (this.#ids.has(c.id)) continue;
      const key = `${c.row.workspaceId}/${c.connectionId}`;
      let g = this.#groups.get(key);
      if (this.#ids.size >= this.#maxRows || (g && g.rows.length >= c.settings.batchSize)) {
        park.push(c);
        continue;
      }
      if (!g) {
        g = {
          workspaceId: c.row.workspaceId,
          streamId: c.row.streamId,
          connectionId: c.connectionId,
          settings: c.settings,
          rows: [],
        };
        this.#groups.set(key, g);
      }
      g.settings = c.settings;
      // As a parked row is: one connection's batch row.
      g.rows.push({ ...c.row, connectionId: c.connectionId, batch: true });
      this.#ids.add(c.id);
      held.push(c.id);
    }
    return { held, park };
  }

  /** Lets go of rows whose chunk did not commit (they are claimed again once their lease ends). */
  forget(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const gone = new Set(ids);
    for (const [key, g] of this.#groups) {
      g.rows = g.rows.filter((r) => !gone.has(r.id));
      if (g.rows.length === 0) this.#groups.delete(key);
    }
    for (const id of ids) this.#ids.delete(id);
  }

  /** Hands on every group that holds `batchSize` rows (call once the chunk that added them committed). */
  flushFull(): number {
    let n = 0;
    for (const [key, g] of this.#groups) {
      if (g.rows.length >= g.settings.batchSize) n += this.#take(key, g);
    }
    return n;
  }

  /**
   * Hands on the groups `due` says are due (their oldest row waited `frequency`, or the connection
   * left batch mode); `due` gets the group's connection and its oldest row's time.
   */
  async flushDue(
    due: (
      g: { workspaceId: string; streamId: string; connectionId: string; oldest: Date },
    ) => Promise<boolean>,
  ): Promise<number> {
    let n = 0;
    for (const [key, g] of [...this.#groups]) {
      let oldest = g.rows[0].availableAt;
      for (const r of g.rows) if (r.availableAt < oldest) oldest = r.availableAt;
      if (await due({ ...g, oldest }) && this.#groups.get(key) === g) n += this.#take(key, g);
    }
    return n;
  }

  /** Takes every held row out (to park them: the queue ran dry, or shutdown). */
  takeAll(): { id: string; connectionId: string }[] {
    const out: { id: string; connectionId: string }[] = [];
    for (const g of this.#groups.values()) {
      for (const r of g.rows) out.push({ id: r.id, connectionId: g.connectionId });
    }
    this.#groups.clear();
    this.#ids.clear();
    return out;
  }

  #take(key: string, g: Group): number {
    this.#groups.delete(key);
    for (const r of g.rows) this.#ids.delete(r.id);
    this.#onDue(g.rows.sort((a, b) => Number(a.id) - Number(b.id)));
    return g.rows.length;
  }
}
