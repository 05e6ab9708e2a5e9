import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { DESTINATION_TYPES } from "../resources/destinations/catalog.ts";
import { describeDestination } from "../resources/destinations/types.ts";
import { resourceJsonSchema } from "../resources/json_schema.ts";
import { RESOURCE_TYPES, RESOURCES } from "../resources/registry.ts";
import { openApiDocument } from "./openapi.ts";

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

/**
 * Public, unauthenticated: the JSON Schemas of the resource types (`/api/schema/{type}[/{subtype}]`),
 * the catalog (`/api/schema`) and the OpenAPI document (`/api/openapi.json`). They describe the API,
 * never a workspace's data.
 */
export function schemaRouter() {
  const app = new Hono<AppEnv>();
  route(app, "/api/schema", { GET: (c) => c.json(catalog()) });
  route(app, "/api/schema/:type", {
    GET: (c) => c.json(resourceJsonSchema(c.req.param("type")!)),
  });
  route(app, "/api/schema/:type/:subtype", {
    GET: (c) => c.json(resourceJsonSchema(c.req.param("type")!, c.req.param("subtype")!)),
  });
  route(app, "/api/openapi.json", { GET: (c) => c.json(openApiDocument()) });
  return app;
}
