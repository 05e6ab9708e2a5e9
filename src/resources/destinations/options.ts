import * as v from "valibot";
import { flag, int, oneOf, strict, textWithDefault } from "../base.ts";

/** `functions`, `functionsEnv`, `debugTill`: what every connection can carry (Jitsu's FunctionsConnectionOptions). */
export const functionsOptions = {
  functions: v.optional(
    v.pipe(
      v.array(
        strict({
          functionId: v.pipe(
            v.string("must be a string"),
            v.minLength(1, "required"),
            v.description("A function of the workspace: its id, or Jitsu's `udf.<id>`."),
          ),
          functionOptions: v.optional(v.record(v.string(), v.unknown(), "must be an object")),
        }),
        "must be an array of {functionId}",
      ),
      v.maxLength(50, "at most 50 functions"),
      v.description("Functions run in this order on every event before it is delivered."),
    ),
  ),
  functionsEnv: v.optional(
    v.pipe(
      v.record(
        v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be a variable name")),
        v.pipe(v.string("must be a string"), v.maxLength(10_000, "at most 10000 characters")),
        "must be an object of string values",
      ),
      v.description(
        "Variables given to functions as ctx.props. Every value is secret: encrypted at rest and masked.",
      ),
    ),
  ),
  debugTill: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.isoTimestamp("must be an ISO 8601 timestamp"),
      v.description("Until this time, functions' debug logs are kept in Live Events."),
    ),
  ),
  disabled: flag("A disabled connection receives no events.", false),
};

/** Options of destinations that take events one by one or in small batches (webhook, analytics APIs). */
export function streamingOptions({ batchSize = 100, maxBatch = 1000 } = {}) {
  return {
    ...functionsOptions,
    mode: oneOf(["stream", "batch"], "Deliver each event as it comes, or in batches.", "stream"),
    batchSize: int("Events per batch in batch mode.", batchSize, 1, maxBatch),
    frequency: int("Minutes between batches in batch mode.", 5, 1, 1440),
  };
}

/** Options of warehouses and storage (Jitsu's BaseBulkerConnectionOptions). */
export function warehouseOptions(
  { primaryKey = "message_id", deduplicate = true, streamMode = true }: {
    primaryKey?: string;
    deduplicate?: boolean;
    /** False where the warehouse only loads files (BigQuery, S3): batch mode only. */
    streamMode?: boolean;
  } = {},
) {
  const modes: ["stream", "batch"] | ["batch"] = streamMode ? ["stream", "batch"] : ["batch"];
  return {
    ...functionsOptions,
    mode: oneOf(modes, "Insert each event as it comes, or in batches.", "batch"),
    batchSize: int("Rows per batch in batch mode.", 10_000, 1, 1_000_000),
    frequency: int("Minutes between batches in batch mode.", 5, 1, 1440),
    dataLayout: oneOf(
      ["segment", "jitsu-legacy", "segment-single-table", "passthrough"],
      "How events map to tables: one table for all (segment-single-table), one per event type (segment), ...",
      "segment-single-table",
    ),
    primaryKey: textWithDefault("Comma-separated columns that identify a row.", primaryKey),
    deduplicate: flag("Replace rows with the same primary key instead of adding duplicates.", deduplicate),
    timestampColumn: textWithDefault("The column that holds the event time.", "timestamp"),
    schemaFreeze: flag("Never add columns: unknown fields go to a JSON column.", false),
    keepOriginalNames: flag("Keep field names as sent instead of snake_case.", false),
  };
}
