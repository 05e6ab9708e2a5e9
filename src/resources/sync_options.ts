import * as v from "valibot";
import { isTimeZone, parseCron } from "../sync/cron.ts";

const StreamSettings = v.strictObject({
  sync_mode: v.pipe(
    v.picklist(["full_refresh", "incremental"], "must be full_refresh or incremental"),
    v.description(
      "full_refresh replaces the table each run; incremental adds what changed since the saved state.",
    ),
  ),
  cursor_field: v.optional(
    v.pipe(
      v.array(v.string("must be a string"), "must be an array of strings"),
      v.description("Incremental cursor path."),
    ),
  ),
  primary_key: v.optional(
    v.pipe(
      v.array(v.array(v.string("must be a string")), 'must be an array of key paths, e.g. [["id"]]'),
      v.description("Columns rows are deduplicated on (upsert), as Airbyte key paths."),
    ),
  ),
  table_name: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.minLength(1, "must not be empty"),
      v.maxLength(200, "at most 200 characters"),
      v.description("Table to write; the stream name by default."),
    ),
  ),
}, "has an unknown field (known: sync_mode, cursor_field, primary_key, table_name)");

/** The options of a sync connection (service -> warehouse), after Jitsu's sync links. */
export const syncOptions = {
  streams: v.optional(
    v.pipe(
      v.record(v.string(), StreamSettings, "must be an object of stream name to settings"),
      v.description("Streams to sync: stream name -> {sync_mode, cursor_field?, primary_key?, table_name?}."),
    ),
  ),
  schedule: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.description("Cron expression (minute hour day month weekday); empty: run only on demand."),
    ),
  ),
  timezone: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.description("Time zone of the schedule (default UTC)."),
    ),
  ),
  tableNamePrefix: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.maxLength(40, "at most 40 characters"),
      v.description("Prefix of every table this sync writes."),
    ),
  ),
} satisfies v.ObjectEntries;

/**
 * What the JSON Schema cannot say (checked after the schema): the schedule parses as cron and the
 * time zone exists.
 */
export function syncDataIssues(data: Record<string, unknown>): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (typeof data.schedule === "string" && data.schedule.trim() !== "") {
    try {
      parseCron(data.schedule);
    } catch (e) {
      issues.push({
        path: "data.schedule",
        message: `must be a cron expression with 5 fields, e.g. "0 * * * *" (${(e as Error).message})`,
      });
    }
  }
  if (typeof data.timezone === "string" && !isTimeZone(data.timezone)) {
    issues.push({ path: "data.timezone", message: "must be an IANA time zone, e.g. Europe/Berlin" });
  }
  return issues;
}
