/**
 * Per-connection scheduling: claimed queue rows are handed to lanes, one lane per unit of ordered work
 * (a stream's fan-out rows, or one connection's own rows: retries, replays, batch-mode batches). A lane
 * takes its rows in claim order in chunks, at most `perLane` chunks at once (as two consumer loops took
 * consecutive batches of one stream before), and commits each chunk on its own; at most `concurrency`
 * chunks are processed at once in all. A lane holds at most `laneRows` claimed rows: a full lane's rows are not claimed
 * (claimQueueRows skips them), so a slow or failing connection keeps only its own rows waiting while
 * every other lane goes on. Held rows keep their lease, renewed here, until their chunk is committed.
 */
import type { QueueRow } from "../store/queue_rows.ts";

export interface LanesOptions {
  /** Chunks processed at once, all lanes together. */
  concurrency: number;
  /** Chunks of one lane processed at once. */
  perLane: number;
  /** Rows of a lane processed (and committed) together at most. */
  chunkRows: number;
  /** Rows a lane holds at most, processing and waiting; a full lane's rows are left in the queue. */
  laneRows: number;
  /** Processes one chunk and commits its outcome; a throw leaves the rows to their lease. */
  process(rows: QueueRow[]): Promise<void>;
  /**
   * Called when a chunk ends (room for more rows): `laneOpened` when its lane held `laneRows` or more
   * before and fewer now (claims skipped its rows and may take them now), `heldBefore` the rows held in
   * all before.
   */
  onFree(freed: { laneOpened: boolean; heldBefore: number }): void;
  /** Renews the lease of held rows (every `renewMs`). */
  renew(ids: string[]): Promise<void>;
  renewMs: number;
  onError(e: unknown): void;
}

interface Unit {
  rows: QueueRow[];
  /** Processed as one chunk whatever its size (a batch-mode batch). */
  whole: boolean;
  done: () => void;
  left: number;
}

interface Lane {
  kind: "stream" | "connection";
  id: string;
  units: Unit[];
  held: number;
  running: number;
}

/**
 * The lane a row belongs to: its connection's when it names one, else its stream's. Ids are unique per
 * workspace only, so a lane's id is `workspaceId/objectId` (claimQueueRows compares the same pair).
 */
export function laneOf(row: QueueRow): { kind: "stream" | "connection"; id: string } {
  return row.connectionId
    ? { kind: "connection", id: `${row.workspaceId}/${row.connectionId}` }
    : { kind: "stream", id: `${row.workspaceId}/${row.streamId}` };
}

/** The key of a row's lane in {@linkcode Lanes}: `kind:id` of {@linkcode laneOf}, without its object. */
function laneKeyOf(row: QueueRow): string {
  return row.connectionId
    ? `connection:${row.workspaceId}/${row.connectionId}`
    : `stream:${row.workspaceId}/${row.streamId}`;
}

export class Lanes {
  readonly #o: LanesOptions;
  readonly #lanes = new Map<string, Lane>();
  /** Lanes with rows waiting and room for another chunk, oldest first (round robin). */
  #ready: Lane[] = [];
  #running = 0;
  #held = 0;
  #idle: (() => void)[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #inFlight = new Set<Promise<void>>();
  /** Ids of the chunks being processed (their leases are renewed too). */
  #processing = new Set<string[]>();

  constructor(options: LanesOptions) {
    this.#o = options;
  }

  /** Rows held (processing or waiting). */
  get held(): number {
    return this.#held;
  }

  /** Lanes that hold `laneRows` or more: claims skip their rows. */
  full(): { streams: string[]; connections: string[] } {
    const streams: string[] = [];
    const connections: string[] = [];
    for (const l of this.#lanes.values()) {
      if (l.held >= this.#o.laneRows) (l.kind === "stream" ? streams : connections).push(l.id);
    }
    return { streams, connections };
  }

  /** Whether the lane of a stream (`workspaceId/streamId`) holds `laneRows` or more. */
  streamFull(id: string): boolean {
    return (this.#lanes.get(`stream:${id}`)?.held ?? 0) >= this.#o.laneRows;
  }

  /** Whether the lane of `row` holds `laneRows` or more (a claim would skip its rows). */
  laneFull(row: QueueRow): boolean {
    return (this.#lanes.get(laneKeyOf(row))?.held ?? 0) >= this.#o.laneRows;
  }

  /** Queues claimed rows on their lanes; resolves once all of them were processed. */
  add(rows: QueueRow[], { whole = false } = {}): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const groups = new Map<string, QueueRow[]>();
    for (const r of rows) {
      const k = laneKeyOf(r);
      const g = groups.get(k);
      if (g === undefined) groups.set(k, [r]);
      else g.push(r);
    }
    const all: Promise<void>[] = [];
    for (const [k, g] of groups) {
      const { kind, id } = laneOf(g[0]);
      let lane = this.#lanes.get(k);
      if (!lane) {
        lane = { kind, id, units: [], held: 0, running: 0 };
        this.#lanes.set(k, lane);
      }
      const l = lane;
      all.push(
        new Promise<void>((resolve) => {
          l.units.push({ rows: g, whole, done: resolve, left: g.length });
        }),
      );
      lane.held += g.length;
      this.#held += g.length;
      if (lane.running < this.#o.perLane && !this.#ready.includes(lane)) this.#ready.push(lane);
    }
    this.#timer ??= setInterval(() => this.#renew(), this.#o.renewMs);
    this.#pump();
    return Promise.all(all).then(() => {});
  }

  /** Resolves when no row is held. */
  idle(): Promise<void> {
    if (this.#held === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Shutdown: takes every waiting row out (returned, for the caller to release) and waits for the
   * chunks being processed.
   */
  async stop(): Promise<QueueRow[]> {
    const waiting: QueueRow[] = [];
    for (const l of this.#lanes.values()) {
      for (const u of l.units) {
        waiting.push(...u.rows);
        l.held -= u.rows.length;
        this.#held -= u.rows.length;
        u.done();
      }
      l.units = [];
    }
    this.#ready = [];
    await Promise.all([...this.#inFlight]);
    this.#settle();
    return waiting;
  }

  #pump(): void {
    while (this.#running < this.#o.concurrency && this.#ready.length > 0) {
      const lane = this.#ready.shift()!;
      const chunk = this.#take(lane);
      if (chunk.length === 0) continue;
      lane.running++;
      this.#running++;
      if (lane.running < this.#o.perLane && lane.units.length > 0) this.#ready.push(lane);
      const p = this.#run(lane, chunk);
      this.#inFlight.add(p);
      p.finally(() => this.#inFlight.delete(p));
    }
  }

  /** The next chunk of a lane: a whole unit, or rows of plain units up to `chunkRows`. */
  #take(lane: Lane): { unit: Unit; rows: QueueRow[] }[] {
    const first = lane.units[0];
    if (!first) return [];
    if (first.whole) return [{ unit: lane.units.shift()!, rows: first.rows }];
    const out: { unit: Unit; rows: QueueRow[] }[] = [];
    let n = 0;
    while (lane.units.length > 0 && !lane.units[0].whole && n < this.#o.chunkRows) {
      const u = lane.units[0];
      const rows = u.rows.splice(0, this.#o.chunkRows - n);
      n += rows.length;
      out.push({ unit: u, rows });
      if (u.rows.length === 0) lane.units.shift();
    }
    return out;
  }

  async #run(lane: Lane, chunk: { unit: Unit; rows: QueueRow[] }[]): Promise<void> {
    const rows = chunk.flatMap((c) => c.rows);
    const ids = rows.map((r) => r.id);
    this.#processing.add(ids);
    try {
      await this.#o.process(rows);
    } catch (e) {
      // The rows' leases end on their own and they are claimed again.
      this.#o.onError(e);
    } finally {
      this.#processing.delete(ids);
    }
    lane.running--;
    this.#running--;
    const laneWasFull = lane.held >= this.#o.laneRows;
    const heldBefore = this.#held;
    lane.held -= rows.length;
    this.#held -= rows.length;
    for (const c of chunk) {
      c.unit.left -= c.rows.length;
      if (c.unit.left === 0) c.unit.done();
    }
    if (lane.units.length > 0 && !this.#ready.includes(lane)) this.#ready.push(lane);
    else if (lane.held === 0) this.#lanes.delete(`${lane.kind}:${lane.id}`);
    this.#settle();
    this.#pump();
    this.#o.onFree({ laneOpened: laneWasFull && lane.held < this.#o.laneRows, heldBefore });
  }

  #settle(): void {
    if (this.#held > 0) return;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const w = this.#idle;
    this.#idle = [];
    for (const f of w) f();
  }

  #renew(): void {
    const ids: string[] = [];
    for (const l of this.#lanes.values()) {
      for (const u of l.units) for (const r of u.rows) ids.push(r.id);
    }
    for (const chunk of this.#processing) ids.push(...chunk);
    if (ids.length > 0) this.#o.renew(ids).catch((e) => this.#o.onError(e));
  }
}
