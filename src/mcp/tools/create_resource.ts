import * as v from "valibot";
import { createResource } from "../../services/resources.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { DataArg, ResourceObject, TypeArg, WorkspaceArg } from "./resource_args.ts";

/** `create_resource`: one new object; the id is minted by the server. */
export function createResourceTool(): Tool {
  return defineTool({
    name: "create_resource",
    title: "Create a resource",
    description: "Creates a stream, destination, function, connection or service. Call get_resource_schema " +
      "first: data must match that schema. A connection links a stream to a destination: data = {fromId: " +
      'streamId, toId: destinationId, type: "push", data: {functions: [{functionId: "udf.<functionId>"}]}}. ' +
      "Returns the new object with its id; a new stream's write key is shown once, in this answer only.",
    input: v.object({
      workspaceId: WorkspaceArg,
      type: TypeArg,
      data: v.pipe(DataArg, v.description("The new object's fields, as get_resource_schema describes them.")),
    }),
    output: ResourceObject,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async run(ctx, args) {
      return await createResource(ctx, args) as { id: string };
    },
  });
}
