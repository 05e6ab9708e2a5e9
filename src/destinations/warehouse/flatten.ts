import type { FlatRow } from "./types.ts";
import { sanitizeName } from "./identifiers.ts";

/**
 * Flattens nested objects into `a_b_c` columns (what Jitsu's bulker does before a SQL insert).
 * Arrays stay whole and are stored as JSON; null/undefined values and empty objects add no column.
 * Keys are sanitised here so every later step only sees safe names.
 */
export function flattenObject(value: Record<string, unknown>, maxNameLength = 63): FlatRow {
  const out: FlatRow = {};
  walk(value, "", out, maxNameLength);
  return out;
}

function walk(value: Record<string, unknown>, prefix: string, out: FlatRow, max: number): void {
  for (const [key, x] of Object.entries(value)) {
    if (x === null || x === undefined) continue;
    const name = prefix ? `${prefix}_${key}` : key;
    if (Array.isArray(x)) {
      out[sanitizeName(name, max)] = x;
    } else if (x instanceof Date) {
      out[sanitizeName(name, max)] = x.toISOString();
    } else if (typeof x === "object") {
      walk(x as Record<string, unknown>, name, out, max);
    } else if (typeof x === "string" || typeof x === "boolean") {
      out[sanitizeName(name, max)] = x;
    } else if (typeof x === "number") {
      if (Number.isFinite(x)) out[sanitizeName(name, max)] = x;
    } else if (typeof x === "bigint") {
      out[sanitizeName(name, max)] = x.toString();
    }
    // functions and symbols cannot come out of JSON; ignore them.
  }
}
