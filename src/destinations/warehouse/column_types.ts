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
  if (RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return "timestamp";
  return "text";
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
