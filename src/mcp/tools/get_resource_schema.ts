import * as v from "valibot";
import { resourceJsonSchema } from "../../resources/json_schema.ts";
import { parseInput } from "../../validation.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { TypeArg } from "./resource_args.ts";

const Input = v.object({
  type: TypeArg,
  subtype: v.optional(
    v.pipe(
      v.string(),
      v.description(
        'For a destination or connection: the destination type (e.g. "webhook", "postgres") to get the ' +
          "exact fields of that kind.",
      ),
    ),
  ),
});

const Args = v.object({
  type: v.pipe(v.string("must be a string"), v.minLength(1, "required")),
  subtype: v.optional(v.string("must be a string")),
});

/** `get_resource_schema`: the JSON Schema that create_resource and update_resource validate against. */
export function getResourceSchemaTool(): Tool {
  return defineTool({
    name: "get_resource_schema",
    title: "Get a resource schema",
    description:
      "Returns the JSON Schema of a resource type: the fields create_resource and update_resource " +
      "accept in data, which are required, their defaults and allowed values. Call this before creating or " +
      "updating a resource. For destinations pass subtype (the destination type, e.g. webhook) to get its " +
      "credentials fields.",
    input: Input,
    output: v.object({ type: v.string(), subtype: v.nullable(v.string()), schema: v.looseObject({}) }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    // deno-lint-ignore require-await
    async run(_ctx, args) {
      // Only the shape here: resourceJsonSchema() judges the type and subtype, with the messages
      // GET /api/schema/{type}/{subtype} gives.
      const q = parseInput(Args, args, "Cannot get resource schema");
      return { type: q.type, subtype: q.subtype ?? null, schema: resourceJsonSchema(q.type, q.subtype) };
    },
  });
}
