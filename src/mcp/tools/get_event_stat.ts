import * as v from "valibot";
import { EventStatInput, getEventStat } from "../../services/event_stat.ts";
import { defineTool, type Tool } from "../define_tool.ts";

const Output = v.object({
  rows: v.array(v.object({
    period: v.string(),
    workspaceId: v.string(),
    streamId: v.nullable(v.string()),
    connectionId: v.nullable(v.string()),
    destinationId: v.nullable(v.string()),
    status: v.string(),
    events: v.number(),
  })),
  start: v.string(),
  end: v.string(),
  granularity: v.string(),
  totals: v.record(v.string(), v.number()),
});

/** `get_event_stat`: event counts over time, the numbers behind the console's chart. */
export function getEventStatTool(): Tool {
  return defineTool({
    name: "get_event_stat",
    title: "Event statistics",
    description: "Counts events per period (hour by default), stream, connection, destination and status: " +
      "incoming (accepted by a stream), error (refused by a stream, or a failed delivery attempt), delivered, " +
      "skipped, dropped (by a function), dead_letter. Default: the last 24 hours, all sources. Use it to see " +
      "whether events flow and where they fail; then query_events shows the events themselves. totals sums " +
      "each status over the span.",
    input: EventStatInput,
    output: Output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await getEventStat(ctx, args);
    },
  });
}
