import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { NotFoundError, ValidationError } from "../errors.ts";
import { isResourceType, RESOURCE_TYPES, ResourceInputSchemas, RESOURCES } from "./registry.ts";

const cache = new Map<string, Record<string, unknown>>();

/** Converts one resource schema; `errorMode: "throw"` so a schema that cannot convert fails loudly. */
export function convertSchema(schema: v.GenericSchema, title: string): Record<string, unknown> {
  const json = toJsonSchema(schema, { target: "draft-2020-12", errorMode: "throw" }) as Record<
    string,
    unknown
  >;
  return { title, ...json };
}

/** Throws the error that lists the known types when `type` is not one. */
export function assertResourceType(type: string): asserts type is typeof RESOURCE_TYPES[number] {
  if (!isResourceType(type)) {
    throw new ValidationError(`Unknown resource type "${type}"; known types: ${RESOURCE_TYPES.join(", ")}`, [
      { path: "type", message: `must be one of: ${RESOURCE_TYPES.join(", ")}` },
    ]);
  }
}

/**
 * The JSON Schema (draft 2020-12) for creating an object of `type`; with `subtype` (a destination
 * type, for destinations and connections) the schema of that one kind. Built once per process.
 */
export function resourceJsonSchema(type: string, subtype?: string): Record<string, unknown> {
  assertResourceType(type);
  const key = `${type}/${subtype ?? ""}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const def = RESOURCES[type];
  let json: Record<string, unknown>;
  if (subtype === undefined || subtype === "") {
    json = convertSchema(ResourceInputSchemas[type], def.title);
  } else {
    const schema = def.schemaFor(subtype);
    if (!schema) {
      throw new NotFoundError(
        def.subtypes.length
          ? `Unknown ${type} subtype "${subtype}"; known: ${def.subtypes.join(", ")}`
          : `Type ${type} has no subtypes (asked for "${subtype}")`,
      );
    }
    json = convertSchema(schema, `${def.title}: ${subtype}`);
  }
  cache.set(key, json);
  return json;
}
