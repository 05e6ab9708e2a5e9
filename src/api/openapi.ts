import { resourceJsonSchema } from "../resources/json_schema.ts";
import { RESOURCE_TYPES, RESOURCES, type ResourceType } from "../resources/registry.ts";
import { VERSION } from "../version.ts";

type Json = Record<string, unknown>;

function component(type: ResourceType): string {
  return RESOURCES[type].title;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: Json) => ({ content: { "application/json": { schema } } });
const ok = (description: string, schema: Json = { type: "object" }) => ({ description, ...jsonBody(schema) });

const ERRORS = {
  "400": ok("Invalid input: every failing field by path", ref("Error")),
  "401": ok("Missing or invalid bearer credentials", ref("Error")),
  "404": ok("No such workspace or object (also for another workspace's ids)", ref("Error")),
};

const WS = {
  name: "workspaceId",
  in: "path",
  required: true,
  description: "Workspace id or slug",
  schema: { type: "string" },
};
const ID = { name: "id", in: "path", required: true, schema: { type: "string" } };
const q = (name: string, type: string, description: string) => ({
  name,
  in: "query",
  required: false,
  description,
  schema: { type },
});

function typePaths(type: ResourceType): Record<string, Json> {
  const schema = ref(component(type));
  const tag = [component(type)];
  return {
    [`/api/{workspaceId}/config/${type}`]: {
      get: {
        tags: tag,
        summary: `List ${type} objects (oldest first)`,
        parameters: [
          WS,
          q("fields", "string", "Comma-separated fields to return, e.g. id,name"),
          q("slim", "boolean", "Leave out big fields (function code)"),
          q("limit", "integer", "Page size, 1-1000 (default 100)"),
          q("offset", "integer", "Objects to skip"),
        ],
        responses: { "200": ok("`{objects, total, limit, offset}`"), ...ERRORS },
      },
      post: {
        tags: tag,
        summary: `Create a ${type}`,
        parameters: [WS],
        requestBody: { required: true, ...jsonBody(schema) },
        responses: {
          "201": ok(
            type === "stream" ? "The object; `writeKey` once when a key was generated" : "The object",
          ),
          "409": ok("The id is taken, or (connections) the pair is already connected", ref("Error")),
          ...ERRORS,
        },
      },
    },
    [`/api/{workspaceId}/config/${type}/{id}`]: {
      get: {
        tags: tag,
        summary: `Get a ${type} (secrets masked; ETag = updatedAt)`,
        parameters: [WS, ID],
        responses: { "200": ok("The object"), ...ERRORS },
      },
      put: {
        tags: tag,
        summary: `Update a ${type}: merge patch, then the whole object is validated again`,
        parameters: [
          WS,
          ID,
          {
            name: "If-Match",
            in: "header",
            required: false,
            description: "The updatedAt (ETag) you read",
            schema: { type: "string" },
          },
          q("expectedUpdatedAt", "string", "Same as If-Match"),
        ],
        requestBody: {
          required: true,
          ...jsonBody({ type: "object", description: `Any subset of ${component(type)}` }),
        },
        responses: { "200": ok("The updated object"), "409": ok("Stale write", ref("Error")), ...ERRORS },
      },
      delete: {
        tags: tag,
        summary: `Soft-delete a ${type}`,
        parameters: [
          WS,
          ID,
          q("strict", "boolean", "Refuse when connections use it (the default)"),
          q("cascade", "boolean", "Delete the connections that use it too"),
        ],
        responses: {
          "200": ok("The deleted object, `deleted: true`, `deletedConnections`"),
          "409": ok("Connections use it", ref("Error")),
          ...ERRORS,
        },
      },
    },
  };
}

let cached: Json | null = null;

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests; built once. */
export function openApiDocument(): Json {
  if (cached) return cached;
  const schemas: Record<string, Json> = {
    Error: {
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
    },
  };
  let paths: Record<string, Json> = {};
  for (const t of RESOURCE_TYPES) {
    const { $schema: _s, ...schema } = resourceJsonSchema(t);
    schemas[component(t)] = schema;
    paths = { ...paths, ...typePaths(t) };
  }
  paths["/api/{workspaceId}/config/link"] = {
    get: {
      tags: ["Connection"],
      summary: "Jitsu's links API: list connections as `{links}`",
      parameters: [WS],
      responses: { "200": ok("`{links}`"), ...ERRORS },
    },
    post: {
      tags: ["Connection"],
      summary: "Create a connection, or update the one whose id is in the body",
      parameters: [WS],
      requestBody: { required: true, ...jsonBody(ref("Connection")) },
      responses: { "200": ok("The object and `created`"), ...ERRORS },
    },
    delete: {
      tags: ["Connection"],
      summary: "Delete by `id`, or by `fromId` and `toId`",
      parameters: [
        WS,
        q("id", "string", "Connection id"),
        q("fromId", "string", "Stream id"),
        q("toId", "string", "Destination id"),
      ],
      responses: { "200": ok("`{deleted}`"), ...ERRORS },
    },
  };
  paths["/api/{workspaceId}/audit-log"] = {
    get: {
      tags: ["Audit"],
      summary:
        "Every change to configuration, newest first (who, via what, before and after, secrets masked)",
      parameters: [
        WS,
        q("objectId", "string", "Only this object"),
        q("type", "string", "Only this type"),
        q("limit", "integer", "1-1000"),
        q("offset", "integer", "Entries to skip"),
      ],
      responses: { "200": ok("`{entries, limit, offset}`"), ...ERRORS },
    },
  };
  paths["/api/schema/{type}"] = {
    get: {
      tags: ["Schema"],
      summary: "JSON Schema for creating an object of a type (no auth)",
      security: [],
      parameters: [{ name: "type", in: "path", required: true, schema: { enum: [...RESOURCE_TYPES] } }],
      responses: { "200": ok("A JSON Schema (2020-12)"), "400": ERRORS["400"] },
    },
  };
  paths["/api/schema/{type}/{subtype}"] = {
    get: {
      tags: ["Schema"],
      summary: "JSON Schema of one destination type (for destination and connection)",
      security: [],
      parameters: [{ name: "type", in: "path", required: true, schema: { type: "string" } }, {
        name: "subtype",
        in: "path",
        required: true,
        schema: { type: "string" },
      }],
      responses: { "200": ok("A JSON Schema (2020-12)"), "404": ERRORS["404"] },
    },
  };
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Sluice Management API",
      version: VERSION,
      description:
        "Jitsu-compatible configuration API. Authenticate with `Authorization: Bearer <keyId>:<keySecret>`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "Personal API key `keyId:keySecret` or an OAuth access token",
        },
      },
    },
    paths,
  };
  return cached;
}
