import type { FlatRow } from "./types.ts";
import { sanitizeName, toSnakeCase } from "./identifiers.ts";

export interface FlattenOptions {
  /** Longest column name the warehouse keeps. */
  maxNameLength?: number;
  /** camelCase keys to snake_case first, nested and inside arrays (Jitsu's segment layouts). */
  snakeCase?: boolean;
}

// Column names as a tree of (parent column, key) -> name: events repeat the same keys, and building
// and sanitising joined names was most of a batch's CPU time. Bounded, so a flood of distinct keys
// cannot grow it without limit.
const CACHE_LIMIT = 50000;
let cached = 0;

interface NameNode {
  name: string;
  children: Map<string, NameNode>;
}

const roots = new Map<string, NameNode>();

function rootNode(max: number, snake: boolean): NameNode {
  const id = `${max}:${snake}`;
  let root = roots.get(id);
  if (!root) roots.set(id, root = { name: "", children: new Map() });
  return root;
}

function child(parent: NameNode, key: string, max: number, snake: boolean): NameNode {
  let node = parent.children.get(key);
  if (node) return node;
  const k = snake ? toSnakeCase(key) : key;
  // sanitize(prefix + "_" + key) equals this because the prefix is already a sanitised name.
  node = { name: sanitizeName(parent.name ? `${parent.name}_${k}` : k, max), children: new Map() };
  if (cached >= CACHE_LIMIT) {
    roots.clear();
    cached = 0;
  } else {
    parent.children.set(key, node);
    cached++;
  }
  return node;
}

/** snake_cases keys inside an array's objects; returns the same value when nothing changes (the usual case). */
export function snakeDeep(x: unknown): unknown {
  if (Array.isArray(x)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < x.length; i++) {
      const y = snakeDeep(x[i]);
      if (y !== x[i]) (out ??= x.slice())[i] = y;
    }
    return out ?? x;
  }
  if (typeof x !== "object" || x === null) return x;
  const o = x as Record<string, unknown>;
  // First see whether anything changes (usually not: `[{sku, qty}]`), and copy only then.
  let changed = false;
  for (const k in o) {
    if (Object.hasOwn(o, k) && (toSnakeCase(k) !== k || snakeDeep(o[k]) !== o[k])) {
      changed = true;
      break;
    }
  }
  return changed ? Object.fromEntries(Object.entries(o).map(([k, y]) => [toSnakeCase(k), snakeDeep(y)])) : x;
}

/**
 * Flattens nested objects into `a_b_c` columns (what Jitsu's bulker does before a SQL insert).
 * Arrays stay whole and are stored as JSON; null/undefined values and empty objects add no column.
 * Names are sanitised here so every later step only sees safe names.
 */
export function flattenObject(value: Record<string, unknown>, options: FlattenOptions = {}): FlatRow {
  const out: FlatRow = {};
  const max = options.maxNameLength ?? 63;
  const snake = options.snakeCase ?? false;
  walk(value, rootNode(max, snake), out, max, snake);
  return out;
}

function walk(
  value: Record<string, unknown>,
  parent: NameNode,
  out: FlatRow,
  max: number,
  snake: boolean,
): void {
  for (const key in value) {
    const x = value[key];
    if (x === null || x === undefined) continue;
    const t = typeof x;
    if (t === "string" || t === "boolean") {
      out[child(parent, key, max, snake).name] = x as string | boolean;
    } else if (t === "number") {
      if (Number.isFinite(x)) out[child(parent, key, max, snake).name] = x as number;
    } else if (Array.isArray(x)) {
      out[child(parent, key, max, snake).name] = snake ? snakeDeep(x) as unknown[] : x;
    } else if (x instanceof Date) {
      out[child(parent, key, max, snake).name] = x.toISOString();
    } else if (t === "object") {
      walk(x as Record<string, unknown>, child(parent, key, max, snake), out, max, snake);
    } else if (t === "bigint") {
      out[child(parent, key, max, snake).name] = String(x);
    }
    // functions and symbols cannot come out of JSON; ignore them.
  }
}
