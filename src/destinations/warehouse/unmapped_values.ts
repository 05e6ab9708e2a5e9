import type { FlatValue } from "./types.ts";

/**
 * The values of one row that fit no column, bound for `_unmapped_data` as one JSON object keyed by
 * column name (what Jitsu's bulker does with them). An instance of its own class rather than a plain
 * value: an event's values come from JSON (strings, numbers, booleans, arrays, objects), so no value
 * of a user property that flattens to `_unmapped_data` can ever be taken for it.
 */
export class UnmappedValues {
  constructor(readonly values: Record<string, FlatValue>) {}

  /** The JSON text the column stores. */
  json(): string {
    return JSON.stringify(this.values);
  }
}

/**
 * A row as encoded for the insert (src/destinations/warehouse/prepare.ts): a FlatRow whose
 * `_unmapped_data` may hold the core's own UnmappedValues instead of an event's value of that name.
 */
export type WrittenRow = Record<string, FlatValue | UnmappedValues>;
