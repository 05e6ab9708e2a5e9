import * as v from "valibot";
import { getSyncLogs, syncRef } from "../../sync/syncs.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `get_sync_logs` (Jitsu's tool of the same name; docs/syncs.md). */
export function getSyncLogsTool(): Tool {
  return defineTool({
    name: "get_sync_logs",
    title: "Get a sync task's logs",
    description:
      "Returns the log lines of one task of a sync connection (the latest when taskId is absent), oldest first: the connector's LOG messages, output that was not protocol JSON, errors, and Sluice's own start/finish lines. Secrets are masked.",
    input: syncRef({
      taskId: v.optional(
        v.pipe(
          v.string(),
          v.description("A task id from run_sync or list_sync_tasks; the latest task when absent."),
        ),
      ),
    }),
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await getSyncLogs(ctx, args);
    },
  });
}
