import * as v from "valibot";
import { EVENT_LOG_TYPES } from "../../events_log/events_log.ts";
import { EventSourcesInput, listEventSources } from "../../events_log/event_sources.ts";
import { defineTool, type Tool } from "../define_tool.ts";

const Output = v.object({
  sources: v.array(v.object({
    id: v.string(),
    name: v.string(),
    kind: v.picklist(["stream", "connection", "destination"]),
    types: v.array(v.picklist(EVENT_LOG_TYPES)),
  })),
});

/** `list_event_sources`: what query_events can read, and with which `type`. */
export function listEventSourcesTool(): Tool {
  return defineTool({
    name: "list_event_sources",
    title: "List Live Events sources",
    description: "Lists the streams, connections and destinations whose Live Events can be read, each with " +
      "the log types it has: a stream has incoming (events it received); a connection has function, " +
      "bulker_stream, bulker_batch and dead-letter; a destination has the writes of every connection to it. " +
      "Call this before query_events and pass a source's id as source and one of its types as type.",
    input: EventSourcesInput,
    output: Output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await listEventSources(ctx, args);
    },
  });
}
