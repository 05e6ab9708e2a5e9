/**
 * Batch-mode rows held in memory from their first claim until their batch is due, instead of being
 * parked (an UPDATE turning them into waiting `batch` rows) and claimed a second time when the batch is
 * due (src/pipeline/batch_mode.ts). A held row stays in the queue as the stream row it was, leased by this
 * instance (the Pipeline renews the lease): if the process dies, the lease ends and the row is claimed and
 * delivered again, never lost. Bounded: a connection's open batch holds fewer than `batchSize` rows (a full
 * one is handed on as one batch once the chunk that filled it committed) and `maxRows` rows are held in all;
 * beyond that, when a batch stops growing (its stream went quiet: it would wait for its `frequency`, and
 * another instance may hold the rest of it) and on shutdown, rows are parked as before.
 */
import { batchRowOf, type QueueRow } from "../store/queue_rows.ts";
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
  /** When a row was last added (performance.now()). */
  grewAt: number;
}

export class HeldBatches {
  readonly #maxRows: number;
  /** Each connection's batch being filled: fewer than batchSize rows. */
  readonly #open = new Map<string, Group>();
  /** Batches that reached batchSize, handed on by {@linkcode flushFull} once their chunk committed. */
  #full: Group[] = [];
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
   * commit fails) and the rows to park (over `maxRows`). A row already held (claimed again after its lease
   * lapsed) is neither: it stays where it is.
   */
  hold(converts: readonly BatchConvert[]): { held: string[]; park: BatchConvert[] } {
    const held: string[] = [];
    const park: BatchConvert[] = [];
    const now = performance.now();
    for (const c of converts) {
      if (this.#ids.has(c.id)) continue;
      if (this.#ids.size >= this.#maxRows) {
        park.push(c);
        continue;
      }
      // As a parked row is: one connection's batch row, its payload read only when the batch goes.
      this.#add(batchRowOf(c.row, c.connectionId), c.settings, now);
      this.#ids.add(c.id);
      held.push(c.id);
    }
    return { held, park };
  }

  #add(row: QueueRow, settings: BatchSettings, now: number): void {
    const key = `${row.workspaceId}/${row.connectionId}`;
    let g = this.#open.get(key);
    if (!g) {
      g = {
        workspaceId: row.workspaceId,
        streamId: row.streamId,
        connectionId: row.connectionId!,
        settings,
        rows: [],
        grewAt: now,
      };
      this.#open.set(key, g);
    }
    g.settings = settings;
    g.grewAt = now;
    g.rows.push(row);
    if (g.rows.length >= settings.batchSize) {
      this.#open.delete(key);
      this.#full.push(g);
    }
  }

  /** Lets go of rows whose chunk did not commit (they are claimed again once their lease ends). */
  forget(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const gone = new Set(ids);
    for (const id of ids) this.#ids.delete(id);
    const full = this.#full;
    this.#full = [];
    for (const [key, g] of this.#open) {
      g.rows = g.rows.filter((r) => !gone.has(r.id));
      if (g.rows.length === 0) this.#open.delete(key);
    }
    // A full batch that lost rows is not full any more: its rest waits with the connection's open batch.
    for (const g of full) {
      const rest = g.rows.filter((r) => !gone.has(r.id));
      if (rest.length === g.rows.length) this.#full.push(g);
      else for (const r of rest) this.#add(r, g.settings, g.grewAt);
    }
  }

  /** Hands on every batch that reached `batchSize` (call once the chunk that added its rows committed). */
  flushFull(): number {
    const full = this.#full;
    this.#full = [];
    let n = 0;
    for (const g of full) n += this.#take(g);
    return n;
  }

  /**
   * Hands on the open batches `due` says are due (their oldest row waited `frequency`, or the connection
   * left batch mode); `due` gets the batch's connection and its oldest row's time.
   */
  async flushDue(
    due: (
      g: { workspaceId: string; streamId: string; connectionId: string; oldest: Date },
    ) => Promise<boolean>,
  ): Promise<number> {
    let n = 0;
    for (const [key, g] of [...this.#open]) {
      let oldest = g.rows[0].availableAt;
      for (const r of g.rows) if (r.availableAt < oldest) oldest = r.availableAt;
      if (await due({ ...g, oldest }) && this.#open.get(key) === g) {
        this.#open.delete(key);
        n += this.#take(g);
      }
    }
    return n;
  }

  /**
   * Takes out the rows of open batches that got no row for `idleMs` (every open batch with 0), to park
   * them: a partial batch whose stream went quiet waits for its `frequency`, and parked, another
   * instance's part of it joins it in one batch.
   */
  takeIdle(idleMs: number): { id: string; connectionId: string }[] {
    const out: { id: string; connectionId: string }[] = [];
    const now = performance.now();
    for (const [key, g] of this.#open) {
      if (now - g.grewAt < idleMs) continue;
      this.#open.delete(key);
      for (const r of g.rows) {
        this.#ids.delete(r.id);
        out.push({ id: r.id, connectionId: g.connectionId });
      }
    }
    return out;
  }

  /** Takes every held row out, full batches too (shutdown: to park them). */
  takeAll(): { id: string; connectionId: string }[] {
    const out = this.takeIdle(0);
    for (const g of this.#full) {
      for (const r of g.rows) out.push({ id: r.id, connectionId: g.connectionId });
    }
    this.#full = [];
    this.#ids.clear();
    return out;
  }

  #take(g: Group): number {
    for (const r of g.rows) this.#ids.delete(r.id);
    this.#onDue(g.rows.sort((a, b) => Number(a.id) - Number(b.id)));
    return g.rows.length;
  }
}
