import * as v from "valibot";
import { updateResource } from "../../services/resources.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { DataArg, IdArg, ResourceObject, TypeArg, WorkspaceArg } from "./resource_args.ts";

/** `update_resource`: patch one object, with the optional stale-write check. */
export function updateResourceTool(): Tool {
  return defineTool({
    name: "update_resource",
    title: "Update a resource",
    description: "Changes fields of an existing resource: data is a patch merged into the stored object " +
      "(fields you leave out keep their values; masked secrets sent back unchanged keep the stored secret). " +
      "Read it with get_resource first, and pass its updatedAt as expectedUpdatedAt so the update fails " +
      "instead of overwriting a change someone else made in between.",
    input: v.object({
      workspaceId: WorkspaceArg,
      type: TypeArg,
      id: IdArg,
      data: v.pipe(DataArg, v.description("The fields to change.")),
      expectedUpdatedAt: v.optional(
        v.pipe(
          v.string(),
          v.description("updatedAt from get_resource; the update fails with a conflict if it changed since."),
        ),
      ),
    }),
    output: ResourceObject,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await updateResource(ctx, args) as { id: string };
    },
  });
}
