import * as v from "valibot";
import { getSyncState, syncRef } from "../../sync/syncs.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `get_sync_state` (Jitsu's tool of the same name; docs/syncs.md). */
export function getSyncStateTool(): Tool {
  return defineTool({
    name: "get_sync_state",
    title: "Get a sync's saved state",
    description:
      "Returns the connector state saved for a sync connection, per stream (_legacy for a whole-connector state). A state is saved only after the records it covers were committed to the destination.",
    input: syncRef({}),
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await getSyncState(ctx, args);
    },
  });
}
