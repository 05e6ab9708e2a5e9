import * as v from "valibot";
import { listResources } from "../../services/resources.ts";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from "../../validation.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { clampedLimitArg, clampLimit, LimitOutput } from "./limit.ts";
import { ResourceObject, TypeArg, WorkspaceArg } from "./resource_args.ts";

const Input = v.object({
  workspaceId: WorkspaceArg,
  type: TypeArg,
  slim: v.optional(
    v.pipe(
      v.boolean(),
      v.description("Leave out big fields (a function's code) to keep the answer short. Default false."),
    ),
  ),
  fields: v.optional(
    v.pipe(
      v.array(v.string()),
      v.description('Only these fields of each object (id is always included), e.g. ["name"].'),
    ),
  ),
  limit: clampedLimitArg(MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT, "objects"),
  offset: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.description("Skip this many objects.")),
  ),
});

/** `list_resources`: the objects of one type in a workspace. */
export function listResourcesTool(): Tool {
  return defineTool({
    name: "list_resources",
    title: "List resources",
    description: "Lists the resources of one type in a workspace, oldest first: streams, destinations, " +
      "functions, connections or services. Secrets come back masked. Use slim: true (or fields) when you only " +
      "need names and ids, e.g. to find the id to pass to get_resource, update_resource or delete_resource " +
      "(id is always included). total counts every object; page with limit and offset.",
    input: Input,
    output: v.looseObject({
      objects: v.array(ResourceObject),
      total: v.number(),
      offset: v.number(),
      ...LimitOutput,
    }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      const { args: clamped, notice } = clampLimit(args, MAX_PAGE_LIMIT);
      const out = await listResources(ctx, clamped) as unknown as {
        objects: { id: string }[];
        total: number;
        limit: number;
        offset: number;
      };
      return notice ? { ...out, notice } : out;
    },
  });
}
