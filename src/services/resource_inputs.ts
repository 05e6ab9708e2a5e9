import * as v from "valibot";
import { ValidationError } from "../errors.ts";
import { PageInput } from "./workspaces.ts";

/** The inputs of the resource services (what MCP tools and REST handlers pass in). */

const Required = v.pipe(v.string("must be a string"), v.minLength(1, "required"));
// v.record turns an array into {}: rejectArrayData() catches it first (a v.check would not convert to
// JSON Schema, and the MCP tools publish these inputs).
const DataObject = v.record(v.string(), v.unknown(), "must be an object");

export const ListResourcesInput = v.object({
  workspaceId: Required,
  type: Required,
  slim: v.optional(v.boolean("must be true or false")),
  fields: v.optional(v.array(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty")))),
  ...PageInput.entries,
});
export const GetResourceInput = v.object({ workspaceId: Required, type: Required, id: Required });
export const CreateResourceInput = v.object({ workspaceId: Required, type: Required, data: DataObject });
export const UpdateResourceInput = v.object({
  workspaceId: Required,
  type: Required,
  id: Required,
  data: DataObject,
  expectedUpdatedAt: v.optional(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"))),
});
export const DeleteResourceInput = v.object({
  workspaceId: Required,
  type: Required,
  id: Required,
  strict: v.optional(v.boolean("must be true or false")),
  cascade: v.optional(v.boolean("must be true or false")),
});

/** Rejects an array `data` before parsing (see DataObject). */
export function rejectArrayData(input: unknown, action: string) {
  if (Array.isArray((input as { data?: unknown } | null)?.data)) {
    throw new ValidationError(`${action}: data: must be an object, not an array`, [
      { path: "data", message: "must be an object, not an array" },
    ]);
  }
}
