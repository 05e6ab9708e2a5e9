import * as v from "valibot";
import { deleteResource } from "../../services/resources.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { AnyObject, IdArg, TypeArg, WorkspaceArg } from "./resource_args.ts";

/** `delete_resource`: delete one object; refused while connections use it unless `cascade` deletes them too. */
export function deleteResourceTool(): Tool {
  return defineTool({
    name: "delete_resource",
    title: "Delete a resource",
    description:
      "Deletes a resource by id. If connections use it (a stream or destination with connections, " +
      "a function used by a connection), the delete is refused with an error that lists them, unless " +
      "cascade: true, which deletes those connections too. strict: true (Jitsu's flag) refuses the same " +
      "way; a connection is never left pointing at nothing. The answer lists deletedConnections. Ask the " +
      "user before deleting anything they did not ask to delete, and before passing cascade.",
    input: v.object({
      workspaceId: WorkspaceArg,
      type: TypeArg,
      id: IdArg,
      strict: v.optional(
        v.pipe(
          v.boolean(),
          v.description("Refuse (with a list of them) when connections use the object: also the default."),
        ),
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
