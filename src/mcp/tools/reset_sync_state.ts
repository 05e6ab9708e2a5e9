import * as v from "valibot";
import { resetSyncState, syncRef } from "../../sync/syncs.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `reset_sync_state` (Jitsu's tool of the same name; docs/syncs.md). */
export function resetSyncStateTool(): Tool {
  return defineTool({
    name: "reset_sync_state",
    title: "Reset a sync's state",
    description:
      "Forgets the saved state of a sync connection (every stream, or one `stream`), so the next run reads everything again. Refused while a task runs.",
    input: syncRef({ stream: v.optional(v.pipe(v.string(), v.description("Only this stream."))) }),
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await resetSyncState(ctx, args);
    },
  });
}
