import { Hono } from "hono";
import { generateSpecs } from "hono-openapi";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { resourceJsonSchema } from "../resources/json_schema.ts";
import { RESOURCE_TYPES, RESOURCES } from "../resources/registry.ts";
import { VERSION } from "../version.ts";
import { documented, EACH_TYPE, ok, PUBLIC } from "./route_docs.ts";

type Json = Record<string, unknown>;

const ERROR_SCHEMA = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        issues: {
          type: "array",
          items: {
            type: "object",
            properties: { path: { type: "string" }, message: { type: "string" } },
          },
        },
      },
      required: ["code", "message"],
    },
    requestId: { type: ["string", "null"] },
  },
};

const TAGS = [
  { name: "Configuration", description: "Destinations, streams, services, functions and connections" },
  { name: "Connection", description: "Jitsu's links API over connections" },
  { name: "Workspaces" },
  { name: "API keys", description: "Personal API keys (`keyId:keySecret`)" },
  { name: "Live Events", description: "What happened to recent events, at each step" },
  { name: "Ingest", description: "Jitsu- and Segment-compatible event collection with stream write keys" },
  { name: "Functions" },
  { name: "Dead letter" },
  { name: "Audit" },
  { name: "Schema", description: "JSON Schemas and this document; no credentials needed" },
];

function documentation(): Json {
  const schemas: Record<string, Json> = { Error: ERROR_SCHEMA };
  for (const t of RESOURCE_TYPES) {
    const { $schema: _s, ...schema } = resourceJsonSchema(t);
    schemas[RESOURCES[t].title] = schema;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Sluice API",
      version: VERSION,
      description: "The Management API (Jitsu-compatible paths) and ingest. Management calls authenticate " +
        "with `Authorization: Bearer <keyId>:<keySecret>` (a personal API key, made on `/user`) or an " +
        "OAuth access token; ingest calls with a stream's write key.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    tags: TAGS,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "Personal API key `keyId:keySecret` or an OAuth access token",
        },
        writeKeyBasic: {
          type: "http",
          scheme: "basic",
          description: "A stream's write key as the user name, empty password (Segment's form)",
        },
        writeKeyHeader: { type: "apiKey", in: "header", name: "X-Write-Key", description: "A write key" },
        writeKeyQuery: { type: "apiKey", in: "query", name: "writekey", description: "A write key" },
      },
    },
  };
}

/**
 * A route with a `:type` segment serves every resource type, each with its own body schema: its
 * description is written once per type, with `{type}` in its text replaced by the type.
 */
function expandEachType(paths: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith("/api/{ws}/config/{type}")) {
      out[path] = item;
      continue;
    }
    const text = JSON.stringify(item);
    for (const t of RESOURCE_TYPES) {
      const filled = JSON.parse(
        text.replaceAll(EACH_TYPE.type, t).replaceAll(EACH_TYPE.title, RESOURCES[t].title),
      ) as Record<string, { operationId?: string; parameters?: { name: string; in: string }[] }>;
      for (const op of Object.values(filled)) {
        op.parameters = op.parameters?.filter((p) => !(p.in === "path" && p.name === "type"));
        op.operationId = op.operationId?.replace("ByType", RESOURCES[t].title);
      }
      out[path.replace("{type}", t)] = filled;
    }
  }
  return out;
}

/** The OpenAPI 3.1 document of every described route of `app`. */
export async function openApiDocument(app: Hono<AppEnv>): Promise<Json> {
  const doc = await generateSpecs(app, { documentation: documentation(), excludeStaticFile: false }) as Json;
  return { ...doc, paths: expandEachType(doc.paths as Record<string, Json>) };
}

/** `GET /api/openapi.json`: generated from `app`'s routes on first request, then kept as text. */
export function openApiRouter(app: Hono<AppEnv>) {
  const router = new Hono<AppEnv>();
  let doc: Promise<string> | undefined;
  route(router, "/api/openapi.json", {
    GET: documented(
      {
        tags: ["Schema"],
        summary: "This OpenAPI document",
        security: PUBLIC,
        responses: { "200": ok("OpenAPI 3.1") },
      },
      async function openApiJson(c) {
        doc ??= openApiDocument(app).then((d) => JSON.stringify(d)).catch(function retryLater(e) {
          doc = undefined;
          throw e;
        });
        return c.body(await doc, 200, { "Content-Type": "application/json" });
      },
    ),
  });
  return router;
}
