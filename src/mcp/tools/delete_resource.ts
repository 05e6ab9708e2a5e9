import * as v from "valibot";
import { deleteResource } from "../../services/resources.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { AnyObject, IdArg, TypeArg, WorkspaceArg } from "./resource_args.ts";

/** `delete_resource`: delete one object; strict/cascade decide what happens to its connections. */
export function deleteResourceTool(): Tool {
  return defineTool({
    name: "delete_resource",
    title: "Delete a resource",
    description:
      "Deletes a resource by id. If connections use it (a stream or destination with connections, " +
      "a function used by a connection): strict: true refuses and lists them, cascade: true deletes those " +
      "connections too; with neither, the connections are left pointing at nothing. Ask the user before " +
      "deleting anything they did not ask to delete.",
    input: v.object({
      workspaceId: WorkspaceArg,
      type: TypeArg,
      id: IdArg,
      strict: v.optional(
        v.pipe(v.boolean(), v.description("Refuse (with a list of them) when connections use the object.")),
      ),
      cascade: v.optional(
        v.pipe(v.boolean(), v.description("Also delete the connections that use the object.")),
      ),
    }),
    output: AnyObject,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await deleteResource(ctx, args);
    },
  });
}
