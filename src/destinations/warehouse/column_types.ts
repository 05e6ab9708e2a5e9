import type { ColumnType, ExistingType, FlatValue } from "./types.ts";

// RFC 3339 date-time (what ingest writes for timestamp/receivedAt); other strings stay text.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/i;

/** The column type a value asks for. */
export function inferType(value: FlatValue): ColumnType {
  if (Array.isArray(value)) return "json";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return Number.isSafeInteger(value) ? "bigint" : "double";
  // Cheap pre-check first: most strings are not dates and the regex is the hot spot of a batch.
  if (value.length < 19 || value.charCodeAt(4) !== 45 /* - */) return "text";
  const iso = isoUtc(value);
  if (iso !== undefined) return iso ? "timestamp" : "text";
  if (RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return "timestamp";
  return "text";
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `toISOString()`'s own form (`2026-01-01T00:00:00.000Z`, or without milliseconds), what ingest writes
 * for timestamp and receivedAt, checked by hand as Date.parse reads it (month 1-12, day 1-31 whatever
 * the month, hour 0-23, minutes and seconds 0-59): true or false for a string of that form, undefined
 * for any other (the regex decides then). The regex and Date.parse were most of the type inference.
 */
function isoUtc(s: string): boolean | undefined {
  const n = s.length;
  if (n !== 24 && n !== 20) return undefined;
  if (
    s.charCodeAt(n - 1) !== 90 /* Z */ || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 /* T */ ||
    s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || (n === 24 && s.charCodeAt(19) !== 46 /* . */)
  ) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 7);
  const day = digits(s, 8, 10);
  const hour = digits(s, 11, 13);
  const minute = digits(s, 14, 16);
  const second = digits(s, 17, 19);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  if (n === 24 && digits(s, 20, 23) < 0) return undefined;
  if (hour === 24) return undefined; // 24:00:00 is midnight only: left to Date.parse
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second < 60;
}

/** Whether a value of type `value` can be stored in a column of type `column` without loss. */
export function fits(column: ExistingType, value: ColumnType): boolean {
  if (column === value) return true;
  if (column === "text") return true; // everything has a text form
  if (column === "double") return value === "bigint";
  return false;
}

/**
 * The narrowest of our types that holds both: numbers widen to double, everything else to text.
 * Widening never narrows, so two writers racing on one column converge.
 */
export function widen(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if ((a === "bigint" && b === "double") || (a === "double" && b === "bigint")) return "double";
  return "text";
}

/** The text form of a value stored in a text column (arrays as JSON, like the json type). */
export function textForm(value: FlatValue): string {
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}
