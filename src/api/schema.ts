import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { DESTINATION_TYPES } from "../resources/destinations/catalog.ts";
import { describeDestination } from "../resources/destinations/types.ts";
import { resourceJsonSchema } from "../resources/json_schema.ts";
import { RESOURCE_TYPES, RESOURCES } from "../resources/registry.ts";
import { documented, errors, ok, pathParam, PUBLIC } from "./route_docs.ts";

/** The types and the destination catalog: what `/api/schema/{type}/{subtype}` can be asked for. */
function catalog() {
  return {
    types: RESOURCE_TYPES.map((t) => ({
      type: t,
      schema: `/api/schema/${t}`,
      subtypes: RESOURCES[t].subtypes,
    })),
    destinationTypes: DESTINATION_TYPES.map((d) => ({
      id: d.id,
      title: d.title,
      description: describeDestination(d),
      tags: d.tags,
      deliverable: d.deliverable,
      secretFields: d.secrets.map((s) => s.path.replace(/\.\*$/, "")),
      schema: `/api/schema/destination/${d.id}`,
      connectionSchema: `/api/schema/connection/${d.id}`,
    })),
  };
}

const TAGS = ["Schema"];
const TYPE = pathParam("type", "A resource type", { enum: [...RESOURCE_TYPES] });

/**
 * Public, unauthenticated: the JSON Schemas of the resource types (`/api/schema/{type}[/{subtype}]`)
 * and the catalog (`/api/schema`). They describe the API, never a workspace's data. The OpenAPI
 * document is src/api/openapi.ts.
 */
export function schemaRouter() {
  const app = new Hono<AppEnv>();
  route(app, "/api/schema", {
    GET: documented(
      {
        tags: TAGS,
        summary: "The resource types and the destination catalog, with links to their JSON Schemas",
        security: PUBLIC,
        responses: { "200": ok("`{types, destinationTypes}`") },
      },
      (c) => c.json(catalog()),
    ),
  });
  route(app, "/api/schema/:type", {
    GET: documented(
      {
        tags: TAGS,
        summary: "JSON Schema for creating an object of a type",
        security: PUBLIC,
        parameters: [TYPE],
        responses: { "200": ok("A JSON Schema (2020-12)"), ...errors("400") },
      },
      (c) => c.json(resourceJsonSchema(c.req.param("type")!)),
    ),
  });
  route(app, "/api/schema/:type/:subtype", {
    GET: documented(
      {
        tags: TAGS,
        summary: "JSON Schema of one destination type (for destination and connection)",
        security: PUBLIC,
        parameters: [TYPE, pathParam("subtype", "A destination type, e.g. postgres")],
        responses: { "200": ok("A JSON Schema (2020-12)"), ...errors("400", "404") },
      },
      (c) => c.json(resourceJsonSchema(c.req.param("type")!, c.req.param("subtype")!)),
    ),
  });
  return app;
}
