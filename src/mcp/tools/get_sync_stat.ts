import * as v from "valibot";
import { getSyncStat, syncRef } from "../../sync/syncs.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `get_sync_stat` (Jitsu's tool of the same name; docs/syncs.md). */
export function getSyncStatTool(): Tool {
  return defineTool({
    name: "get_sync_stat",
    title: "Get sync statistics",
    description:
      "Counts tasks per status for every sync connection of a workspace (or one connectionId) over the last `days` days (default 30), with the last start time.",
    input: syncRef({ days: v.optional(v.number()) }),
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await getSyncStat(ctx, args);
    },
  });
}
