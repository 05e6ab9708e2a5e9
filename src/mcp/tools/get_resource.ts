import * as v from "valibot";
import { getResource } from "../../services/resources.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { IdArg, ResourceObject, TypeArg, WorkspaceArg } from "./resource_args.ts";

/** `get_resource`: one object by id, secrets masked. */
export function getResourceTool(): Tool {
  return defineTool({
    name: "get_resource",
    title: "Get a resource",
    description: "Reads one resource (stream, destination, function, connection or service) by id, with " +
      "every field. Secrets are masked: when you update the object, send the masked value back unchanged to " +
      "keep the stored secret. Find ids with list_resources.",
    input: v.object({ workspaceId: WorkspaceArg, type: TypeArg, id: IdArg }),
    output: ResourceObject,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      return await getResource(ctx, args) as { id: string };
    },
  });
}
