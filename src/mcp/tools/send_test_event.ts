import * as v from "valibot";
import { sendTestEvent, SendTestEventInput } from "../../ingest/send_test_event.ts";
import { defineTool, type Tool } from "../define_tool.ts";

const Output = v.object({
  messageId: v.string(),
  queued: v.boolean(),
  connectionIds: v.array(v.string()),
  note: v.optional(v.string()),
});

/** `send_test_event`: inject an event into a stream as if it was ingested, without a write key. */
export function sendTestEventTool(): Tool {
  return defineTool({
    name: "send_test_event",
    title: "Send a test event to a stream",
    description: "Injects one event into a stream as if a server had sent it to the ingest API (no write " +
      "key needed), so you can check a pipeline end to end: it runs through every enabled connection of the " +
      "stream, their functions and destinations, for real (a webhook really receives it). Returns the " +
      "event's messageId and the connections it was queued for (queued=false: the stream has no connection). " +
      "Then read what happened with query_events: type incoming (source = the stream id), function and " +
      "bulker_stream (source = a connection id); search for the messageId. Delivery takes a moment. A " +
      "batch-mode connection (warehouses by default) writes the event with its batch (batchSize or frequency), " +
      "logs that as bulker_batch, and has a bulker_stream entry for the event only if it failed.",
    input: SendTestEventInput,
    output: Output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async run(ctx, args) {
      return await sendTestEvent(ctx, args);
    },
  });
}
