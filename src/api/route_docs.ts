/**
 * The vocabulary of route annotations: each REST handler is registered together with its OpenAPI
 * description (`documented(spec, handler)`), and `/api/openapi.json` is generated from the registered
 * routes (src/api/openapi.ts). Request bodies come from the Valibot schemas that validate them.
 */
import type { Handler, MiddlewareHandler } from "hono";
import { describeRoute, type DescribeRouteOptions, resolver } from "hono-openapi";
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import type { AppEnv } from "../http/env.ts";

type Json = Record<string, unknown>;

/** A handler and the middleware that carries its description; `route()` registers both. */
export type DocumentedHandler = readonly [MiddlewareHandler<AppEnv>, Handler<AppEnv>];

/** Registers `handler` with its OpenAPI description. */
export function documented(spec: DescribeRouteOptions, handler: Handler<AppEnv>): DocumentedHandler {
  return [describeRoute(spec) as MiddlewareHandler<AppEnv>, handler];
}

/** A reference to a shared schema in `components.schemas`. */
export function schemaRef(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

/** A JSON request body: a Valibot schema (converted to JSON Schema) or a JSON Schema object. */
export function jsonBody(schema: v.GenericSchema | Json, description?: string) {
  const converted = "~standard" in schema ? resolver(schema as v.GenericSchema) : schema;
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { "application/json": { schema: converted } },
  };
}

/** A JSON response with a description and, where the shape is known, its schema. */
export function ok(description: string, schema: Json = { type: "object" }) {
  return { description, content: { "application/json": { schema } } };
}

const ERROR_DESCRIPTIONS: Record<string, string> = {
  "400": "Invalid input: every failing field by path",
  "401": "Missing or invalid bearer credentials",
  "403": "The credentials may not do this (read-only token, another user's object)",
  "404": "No such workspace or object (also for another workspace's ids)",
  "409": "Conflict: the id is taken, the write is stale, or other objects use this one",
  "413": "The body is too large",
};

/** Error responses (`{error: {code, message, issues?}, requestId}`) for the given statuses. */
export function errors(...statuses: (keyof typeof ERROR_DESCRIPTIONS)[]) {
  return Object.fromEntries(statuses.map((s) => [s, ok(ERROR_DESCRIPTIONS[s], schemaRef("Error"))]));
}

/** The workspace in the path: its id or slug. */
export const WORKSPACE_PARAM = {
  name: "ws",
  in: "path",
  required: true,
  description: "Workspace id or slug",
  schema: { type: "string" },
} as const;

/** An optional query parameter. */
export function queryParam(name: string, schema: Json, description: string) {
  return { name, in: "query", required: false, description, schema } as const;
}

/** A path parameter. */
export function pathParam(name: string, description: string, schema: Json = { type: "string" }) {
  return { name, in: "path", required: true, description, schema } as const;
}

/**
 * Parameters described by the fields of a Valibot object schema (type, limits, description), so the
 * query a service validates and the one documented cannot drift. `fields` maps each parameter to where
 * it goes and, when named otherwise, the schema field it fills.
 */
export function paramsFrom(
  schema: v.GenericSchema,
  fields: Record<string, "query" | "path" | readonly ["query" | "path", string]>,
) {
  const json = toJsonSchema(schema, { errorMode: "ignore" }) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(fields).map(function param([name, spec]) {
    const [where, field] = typeof spec === "string" ? [spec, name] : spec;
    const { description, ...fieldSchema } = json.properties?.[field] ?? {};
    return {
      name,
      in: where,
      required: where === "path" || (json.required ?? []).includes(field),
      ...(typeof description === "string" ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

/** `limit` and `offset` of a paged list. */
export const PAGE_PARAMS = [
  queryParam("limit", { type: "integer", minimum: 1, maximum: 1000 }, "Page size, 1-1000 (default 100)"),
  queryParam("offset", { type: "integer", minimum: 0 }, "Items to skip"),
];

/** Who may call: public routes, bearer credentials (the default), ingest write keys. */
export const PUBLIC: Record<string, string[]>[] = [];
export const WRITE_KEY: Record<string, string[]>[] = [{ writeKeyBasic: [] }, { writeKeyHeader: [] }, {
  writeKeyQuery: [],
}];

/**
 * Placeholders in the description of a route with a `:type` segment (one route serves every resource
 * type): src/api/openapi.ts writes that description once per type, with these filled in.
 */
export const EACH_TYPE = { type: "{{type}}", title: "{{Title}}" } as const;
