import * as v from "valibot";
import { DEFAULT_EVENTS_LIMIT, EVENT_LOG_LEVELS, MAX_EVENTS_LIMIT } from "../../events_log/events_log.ts";
import { readEvents, ReadEventsInput } from "../../events_log/read_events.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { clampedLimitArg, clampLimit, LimitOutput } from "./limit.ts";

// The service's own schema validates; this one is what the tool publishes (limit is clamped, not refused).
const Input = v.object({
  ...ReadEventsInput.entries,
  limit: clampedLimitArg(MAX_EVENTS_LIMIT, DEFAULT_EVENTS_LIMIT, "entries, newest first"),
});

const Output = v.object({
  events: v.array(v.object({
    id: v.string(),
    date: v.string(),
    level: v.picklist(EVENT_LOG_LEVELS),
    type: v.string(),
    actorId: v.string(),
    content: v.unknown(),
  })),
  nextCursor: v.nullable(v.string()),
  ...LimitOutput,
});

/** `query_events`: read Live Events, newest first, with Jitsu's arguments plus a cursor. */
export function queryEventsTool(): Tool {
  return defineTool({
    name: "query_events",
    title: "Query Live Events",
    description: "Reads Live Events: what happened to recent events at each step, newest first. Use it to " +
      "debug a pipeline: type incoming shows what a stream received (and whether it was accepted), function " +
      "shows function logs and errors of a connection, bulker_stream shows each event's destination write (in " +
      "batch mode only failed events), bulker_batch each batch-mode write (one entry per table and batch), " +
      "dead-letter shows events that failed every retry. Get source ids from list_event_sources first. " +
      'errorsOnly (or levels "error") shows only failures; search finds an event id or an error text. ' +
      "When nextCursor is " +
      "not null, pass it as cursor to read older entries.",
    input: Input,
    output: Output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      const { args: clamped, notice } = clampLimit(args, MAX_EVENTS_LIMIT);
      const out = await readEvents(ctx, clamped);
      const limit = typeof clamped.limit === "number" ? clamped.limit : DEFAULT_EVENTS_LIMIT;
      return { ...out, limit, ...(notice ? { notice } : {}) };
    },
  });
}
