import * as v from "valibot";
import { cancelSync, syncRef } from "../../sync/syncs.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `cancel_sync` (Jitsu's tool of the same name; docs/syncs.md). */
export function cancelSyncTool(): Tool {
  return defineTool({
    name: "cancel_sync",
    title: "Cancel a running sync",
    description:
      "Stops the running (or pending) task of a sync connection (only taskId when given): the connector is killed within seconds and the task ends CANCELLED. State saved for records already written stays, so the next run continues from there.",
    input: syncRef({
      taskId: v.optional(
        v.pipe(v.string(), v.description("Only this task (from run_sync or list_sync_tasks).")),
      ),
    }),
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    async run(ctx, args) {
      return await cancelSync(ctx, args);
    },
  });
}
