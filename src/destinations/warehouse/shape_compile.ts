/**
 * Generates the mapper of one event shape (see shapes.ts): code that checks an event has exactly the
 * shape (keys of every object in order, the kind of every value, the values the layout branches on)
 * and builds its rows with one object literal each, read off a run of the generic mapEvent() on a copy
 * of the event whose values are unique markers.
 */
import { snakeDeep } from "./flatten.ts";
import { mapEvent, TABLE_NAME_PARAMETER } from "./layout.ts";
import type { DataLayout, MappedRow, RowShape, ShapedRow, ValueKind, WarehouseEvent } from "./types.ts";

/** A compiled mapper: the rows of an event of its shape, or null for any other event. */
export type Compiled = (event: WarehouseEvent) => ShapedRow[] | null;

/** Larger events are left to the generic path (the generated code grows with the event). */
const MAX_VALUES = 400;
const MAX_DEPTH = 8;

/** Top-level keys whose values steer the layout: they are compared, not copied. */
function decisionKeys(layout: DataLayout): readonly string[] {
  const table = [TABLE_NAME_PARAMETER, "$table"];
  if (layout === "passthrough") return table;
  if (layout === "segment") return ["type", "event", ...table];
  return ["type", ...table];
}

class Unsupported extends Error {}

interface Marked {
  variable: string;
  kind: ValueKind;
}

/**
 * Generates the mapper of `event`'s shape, or null when the shape is one the generic path must take
 * (a Date, bigint or function value, a `__proto__` key, a non-string `type`/`event`/table override).
 */
export function compileShape(event: WarehouseEvent, layout: DataLayout, max: number): Compiled | null {
  const decisions = decisionKeys(layout);
  const keyLists: string[][] = [];
  const code: string[] = ["let i=0,k;"];
  const marked = new Map<unknown, Marked>();
  let values = 0;
  let serial = 0;
  const tag = `\u0000${crypto.randomUUID()}:`;

  /** Guards an object's keys and the kinds of its values; returns its traced copy. */
  function node(obj: Record<string, unknown>, expr: string, depth: number, top: boolean) {
    if (depth > MAX_DEPTH) throw new Unsupported();
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) throw new Unsupported();
    const keys: string[] = [];
    for (const k in obj) keys.push(k);
    const list = keyLists.push(keys) - 1;
    code.push(
      `i=0;for(k in ${expr}){if(k!==K[${list}][i])return null;i++}if(i!==${keys.length})return null;`,
    );
    const traced: Record<string, unknown> = {};
    for (const k of keys) {
      if (k === "__proto__" || ++values > MAX_VALUES) throw new Unsupported();
      const x = obj[k];
      const v = `v${serial++}`;
      code.push(`const ${v}=${expr}[${JSON.stringify(k)}];`);
      if (top && decisions.includes(k)) {
        if (typeof x !== "string" || x.includes("\u0000")) throw new Unsupported();
        code.push(`if(${v}!==${JSON.stringify(x)})return null;`);
        traced[k] = x;
        continue;
      }
      if (x === null) {
        code.push(`if(${v}!==null)return null;`);
        traced[k] = null;
      } else if (x === undefined) {
        code.push(`if(${v}!==undefined)return null;`);
        traced[k] = undefined;
      } else if (typeof x === "string" || typeof x === "boolean") {
        code.push(`if(typeof ${v}!=="${typeof x}")return null;`);
        traced[k] = mark(v, typeof x === "string" ? "s" : "b");
      } else if (typeof x === "number") {
        if (Number.isFinite(x)) {
          code.push(`if(typeof ${v}!=="number"||${v}-${v}!==0)return null;`);
          traced[k] = mark(v, "n");
        } else {
          // Not finite: the generic path leaves it out; only the kind is checked.
          code.push(`if(typeof ${v}!=="number"||${v}-${v}===0)return null;`);
          traced[k] = x;
        }
      } else if (Array.isArray(x)) {
        code.push(`if(!Array.isArray(${v}))return null;`);
        const m = [`${tag}${serial}`];
        marked.set(m, { variable: v, kind: "a" });
        traced[k] = m;
      } else if (typeof x === "object" && !(x instanceof Date)) {
        code.push(
          `if(typeof ${v}!=="object"||${v}===null||Array.isArray(${v})||${v} instanceof Date)return null;`,
        );
        traced[k] = node(x as Record<string, unknown>, v, depth + 1, false);
      } else {
        throw new Unsupported(); // Date, bigint, function, symbol: not from JSON
      }
    }
    return traced;
  }

  function mark(variable: string, kind: ValueKind): string {
    const m = `${tag}${serial}`;
    marked.set(m, { variable, kind });
    return m;
  }

  let traced: Record<string, unknown>;
  let rows: MappedRow[];
  try {
    traced = node(event, "e", 0, true);
    rows = mapEvent(traced, layout, max);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
  const shapes: RowShape[] = [];
  const literals: string[] = [];
  for (const { table, row } of rows) {
    const columns: string[] = [];
    const kinds: ValueKind[] = [];
    const fields: string[] = [];
    for (const col in row) {
      if (col === "__proto__") return null;
      const x = row[col];
      const m = marked.get(x);
      let value: string;
      let kind: ValueKind;
      if (m) {
        kind = m.kind;
        value = kind === "a" && layout !== "passthrough" ? `D(${m.variable})` : m.variable;
      } else if (typeof x === "string" && !x.includes("\u0000")) {
        kind = "s"; // from a value the shape fixes (e.g. `type`)
        value = JSON.stringify(x);
      } else {
        return null;
      }
      columns.push(col);
      kinds.push(kind);
      fields.push(`${JSON.stringify(col)}:${value}`);
    }
    const s = shapes.push({ table, columns, kinds }) - 1;
    literals.push(`{table:${JSON.stringify(table)},row:{${fields.join(",")}},shape:S[${s}]}`);
  }
  code.push(`return [${literals.join(",")}];`);
  const make = new Function("K", "S", "D", `"use strict";return function mapShape(e){${code.join("")}};`);
  return make(keyLists, shapes, snakeDeep) as Compiled;
}
