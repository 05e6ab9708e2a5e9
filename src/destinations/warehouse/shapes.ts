/**
 * Compiled mappers: layout + flattening (layout.ts, flatten.ts) as one generated function per event
 * shape, so a batch of events that look alike is mapped with straight property reads and one object
 * literal per row instead of copying the event through the layout and walking it key by key.
 *
 * A shape is everything the generic path decides on: the keys of every nested object in their order,
 * the kind of every value (string, finite number, boolean, array, object, null, ...), and the values
 * the layout branches on (`type`, `event` for the multi-table layout, `$table`/`JITSU_TABLE_NAME`).
 * Mappers are generated from the generic path itself (shape_compile.ts), check the whole shape before
 * they map (any difference returns null and the event takes the generic path), and are only kept when
 * they give exactly what mapEvent() gives for the event they were compiled from. Where code generation
 * is refused (`new Function` disallowed), everything stays generic.
 *
 * Finding an event's mapper: the last two used for its `type`, `event` and table override are tried
 * first (batches come in runs); otherwise a fingerprint of the shape (one pass over the keys, each
 * known key a small number) picks the candidate, which then checks the event itself.
 */
import { type Compiled, compileShape } from "./shape_compile.ts";
import { mapEvent, TABLE_NAME_PARAMETER } from "./layout.ts";
import type { DataLayout, ShapedRow, WarehouseEvent } from "./types.ts";

/** Shapes compiled per dispatch key (type, event name, table override); others take the generic path. */
const PER_KEY = 64;
/** Dispatch keys, distinct object keys and mappers of one layout: past them the cache starts again. */
const TOTAL = 4000;
const KEY_IDS = 50_000;

interface Slot {
  /** The two mappers used last, most recent first. */
  last: Compiled | null;
  before: Compiled | null;
  /** Fingerprint -> mapper, or null for a shape that cannot be compiled. */
  byPrint: Map<number, Compiled | null>;
}

let codegen = true;

/**
 * Maps events per data layout like mapEvent(), through compiled mappers where it can. One per layout
 * and name length (eventMapper()); it holds no state besides its cache, so warehouses share it.
 */
export class EventMapper {
  #slots = new Map<string, Slot>();
  #keyIds = new Map<string, number>();
  #total = 0;

  constructor(readonly layout: DataLayout, readonly maxNameLength: number) {}

  /** The rows of one event: the same as mapEvent(event, layout, maxNameLength). */
  map(event: WarehouseEvent): ShapedRow[] {
    if (!codegen) return mapEvent(event, this.layout, this.maxNameLength);
    const slot = this.#slot(event);
    let out = slot.last?.(event) ?? null;
    if (out !== null) return out;
    if (slot.before !== null) {
      out = slot.before(event);
      if (out !== null) {
        const fn = slot.before;
        slot.before = slot.last;
        slot.last = fn;
        return out;
      }
    }
    const print = this.#fingerprint(event, 0);
    let fn = print < 0 ? null : slot.byPrint.get(print);
    if (fn === undefined && slot.byPrint.size < PER_KEY) {
      fn = this.#compile(event);
      if (this.#total++ >= TOTAL) this.#clear();
      slot.byPrint.set(print, fn);
    }
    if (fn) {
      out = fn(event);
      if (out !== null) {
        slot.before = slot.last;
        slot.last = fn;
        return out;
      }
    }
    return mapEvent(event, this.layout, this.maxNameLength);
  }

  /** The mappers for events of this `type`, `event` and table override. */
  #slot(event: WarehouseEvent): Slot {
    const t = event.type;
    const ev = event.event;
    let key = (typeof t === "string" ? t : "") + "\u0001" + (typeof ev === "string" ? ev : "");
    const t1 = event.$table;
    const t2 = event[TABLE_NAME_PARAMETER];
    if (t1 !== undefined || t2 !== undefined) {
      key += "\u0001" + (typeof t1 === "string" ? t1 : "") + "\u0001" + (typeof t2 === "string" ? t2 : "");
    }
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      if (this.#slots.size >= TOTAL) this.#clear();
      slot = { last: null, before: null, byPrint: new Map() };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  /**
   * A 32-bit hash of the object's keys in order and the kinds of its values, nested objects included;
   * -1 for what is never compiled (Date, bigint, functions, symbols, a `__proto__` key, too deep).
   * Equal shapes get equal fingerprints; the mapper it finds still checks the event.
   */
  #fingerprint(o: Record<string, unknown>, depth: number): number {
    if (depth > 8) return -1;
    let h = 0x811c9dc5;
    for (const k in o) {
      let id = this.#keyIds.get(k);
      if (id === undefined) {
        if (k === "__proto__") return -1;
        if (this.#keyIds.size >= KEY_IDS) this.#clear();
        id = this.#keyIds.size + 1;
        this.#keyIds.set(k, id);
      }
      const x = o[k];
      let kind: number;
      switch (typeof x) {
        case "string":
          kind = 1;
          break;
        case "number":
          kind = x - x === 0 ? 2 : 3;
          break;
        case "boolean":
          kind = 4;
          break;
        case "undefined":
          kind = 5;
          break;
        case "object":
          if (x === null) kind = 6;
          else if (Array.isArray(x)) kind = 7;
          else if (x instanceof Date) return -1;
          else {
            const inner = this.#fingerprint(x as Record<string, unknown>, depth + 1);
            if (inner < 0) return -1;
            kind = 8 + inner;
          }
          break;
        default:
          return -1;
      }
      h = Math.imul(h ^ id, 0x01000193);
      h = Math.imul(h ^ kind, 0x01000193);
    }
    return (h ^ 0xff) >>> 1;
  }

  #clear(): void {
    this.#slots.clear();
    this.#keyIds.clear();
    this.#total = 0;
  }

  #compile(event: WarehouseEvent): Compiled | null {
    let fn: Compiled | null;
    try {
      fn = compileShape(event, this.layout, this.maxNameLength);
    } catch (e) {
      if (e instanceof EvalError) codegen = false; // code generation refused by the runtime
      return null;
    }
    if (!fn) return null;
    // Kept only when it gives exactly the generic path's rows (tables, keys in order, values).
    const mine = fn(event);
    const theirs = mapEvent(event, this.layout, this.maxNameLength);
    if (!mine || mine.length !== theirs.length) return null;
    for (let i = 0; i < mine.length; i++) {
      if (mine[i].table !== theirs[i].table) return null;
      if (JSON.stringify(mine[i].row) !== JSON.stringify(theirs[i].row)) return null;
      if (Object.keys(mine[i].row).join() !== Object.keys(theirs[i].row).join()) return null;
    }
    return fn;
  }
}

const mappers = new Map<string, EventMapper>();

/** The shared mapper of a layout and name length. */
export function eventMapper(layout: DataLayout, maxNameLength: number): EventMapper {
  const id = `${layout}:${maxNameLength}`;
  let m = mappers.get(id);
  if (!m) mappers.set(id, m = new EventMapper(layout, maxNameLength));
  return m;
}
