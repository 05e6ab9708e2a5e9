import * as v from "valibot";
import { discoverStreams, ServiceRefInput } from "../../sync/source.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `discover_streams` (Jitsu's tool of the same name; docs/syncs.md). */
export function discoverStreamsTool(): Tool {
  return defineTool({
    name: "discover_streams",
    title: "Discover a service's streams",
    description:
      "Runs the connector's `discover` command with a stored service's credentials and returns its streams (name, json_schema, supported_sync_modes, default_cursor_field, source_defined_primary_key). Use the names in a sync connection's data.streams.",
    input: ServiceRefInput,
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async run(ctx, args) {
      return await discoverStreams(ctx, args);
    },
  });
}
