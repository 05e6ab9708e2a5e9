import * as v from "valibot";
import { listSyncTasks, syncRef } from "../../sync/syncs.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `list_sync_tasks` (Jitsu's tool of the same name; docs/syncs.md). */
export function listSyncTasksTool(): Tool {
  return defineTool({
    name: "list_sync_tasks",
    title: "List sync tasks",
    description:
      "Lists the runs (tasks) of a sync connection, newest first: status PENDING/RUNNING/SUCCESS/FAILED/CANCELLED, trigger (manual/scheduled), started/finished times, rows written per stream and the error. Filter by taskId or status.",
    input: syncRef({
      taskId: v.optional(v.string()),
      status: v.optional(v.picklist(["PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELLED"])),
      limit: v.optional(v.number()),
    }),
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await listSyncTasks(ctx, args);
    },
  });
}
