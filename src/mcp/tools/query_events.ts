import * as v from "valibot";
import { EVENT_LOG_LEVELS } from "../../events_log/events_log.ts";
import { readEvents, ReadEventsInput } from "../../events_log/read_events.ts";
import { defineTool, type Tool } from "../define_tool.ts";

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
});

/** `query_events`: read Live Events, newest first, with Jitsu's arguments plus a cursor. */
export function queryEventsTool(): Tool {
  return defineTool({
    name: "query_events",
    title: "Query Live Events",
    description: "Reads Live Events: what happened to recent events at each step, newest first. Use it to " +
      "debug a pipeline: type incoming shows what a stream received (and whether it was accepted), function " +
      "shows function logs and errors of a connection, bulker_stream and bulker_batch show destination writes, " +
      "dead-letter shows events that failed every retry. Get source ids from list_event_sources first. " +
      'errorsOnly (or levels "error") shows only failures; search finds an event id or an error text. ' +
      "When nextCursor is " +
      "not null, pass it as cursor to read older entries.",
    input: ReadEventsInput,
    output: Output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await readEvents(ctx, args);
    },
  });
}
