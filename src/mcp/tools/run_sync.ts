import * as v from "valibot";
import { runSync, syncRef } from "../../sync/syncs.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `run_sync` (Jitsu's tool of the same name; docs/syncs.md). */
export function runSyncTool(): Tool {
  return defineTool({
    name: "run_sync",
    title: "Run a sync now",
    description:
      "Starts a run of a sync connection (service -> warehouse destination) now and returns its taskId at once; poll list_sync_tasks or get_sync_logs for progress. fullSync=true forgets the saved state first (every stream starts over). Only one run per sync at a time: while one runs, the call fails naming the running task.",
    input: syncRef({
      fullSync: v.optional(v.pipe(v.boolean(), v.description("Forget the saved state first."))),
    }),
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async run(ctx, args) {
      return await runSync(ctx, args);
    },
  });
}
