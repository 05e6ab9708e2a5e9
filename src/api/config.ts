import { type Context, Hono } from "hono";
import { requireAuth } from "../http/auth.ts";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { deleteLink, listLinks, upsertLink } from "../services/resource_links.ts";
import {
  createResource,
  deleteResource,
  getResource,
  listResources,
  updateResource,
} from "../services/resources.ts";
import { boolQuery, intQuery, listQuery } from "./query.ts";
import {
  documented,
  EACH_TYPE,
  errors,
  jsonBody,
  ok,
  PAGE_PARAMS,
  pathParam,
  queryParam,
  schemaRef,
  WORKSPACE_PARAM,
} from "./route_docs.ts";

// One route serves every type; src/api/openapi.ts writes these descriptions once per type.
const { type: T, title: TITLE } = EACH_TYPE;
const TAGS = ["Configuration"];
const LINK_TAGS = ["Connection"];
const ID = pathParam("id", `The ${T}'s id`);
const BOOL = { type: "boolean" };
const IF_MATCH = {
  name: "If-Match",
  in: "header",
  required: false,
  description: "The ETag (`updatedAt`) you read: a write over a newer version is refused with 409",
  schema: { type: "string" },
} as const;

/** `If-Match: "2026-01-01T00:00:00.000Z"` (the ETag a GET returned), quotes and W/ optional. */
function ifMatch(c: Context<AppEnv>): string | undefined {
  const h = c.req.header("if-match");
  if (!h || h.trim() === "*") return undefined;
  return h.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/** The stale-write guard from If-Match, `?expectedUpdatedAt=` or the body's `expectedUpdatedAt`. */
async function patchOf(c: Context<AppEnv>) {
  const body = await readJson(c);
  let expected = ifMatch(c) ?? c.req.query("expectedUpdatedAt");
  let data = body;
  if (typeof body === "object" && body !== null && !Array.isArray(body) && "expectedUpdatedAt" in body) {
    const { expectedUpdatedAt, ...rest } = body as Record<string, unknown>;
    if (typeof expectedUpdatedAt === "string") expected ??= expectedUpdatedAt;
    data = rest;
  }
  return { data, expectedUpdatedAt: expected };
}

function etag(c: Context<AppEnv>, obj: Record<string, unknown>) {
  if (typeof obj.updatedAt === "string") c.header("ETag", `"${obj.updatedAt}"`);
}

/** `link` is Jitsu's name for connections on these paths. */
function typeParam(c: Context<AppEnv>): string {
  const t = c.req.param("type")!;
  return t === "link" ? "connection" : t;
}

/**
 * The Management API on Jitsu's paths: `/api/{ws}/config/{type}[/{id}]` for every resource type, and
 * Jitsu's `/api/{ws}/config/link` envelope for connections.
 */
export function configRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/config/*", requireAuth);

  const upsertDocs = {
    tags: LINK_TAGS,
    summary: "Create a connection, or update the one whose id is in the body",
    parameters: [WORKSPACE_PARAM],
    requestBody: jsonBody(schemaRef("Connection")),
    responses: { "200": ok("The connection and `created`"), ...errors("400", "401", "403", "404") },
  };
  route(app, "/api/:ws/config/link", {
    GET: documented(
      {
        tags: LINK_TAGS,
        summary: "Jitsu's links API: the connections as `{links}`",
        parameters: [WORKSPACE_PARAM],
        responses: { "200": ok("`{links}`"), ...errors("401", "404") },
      },
      async (c) => c.json(await listLinks(c.get("ctx"), { workspaceId: c.req.param("ws")! })),
    ),
    POST: documented(
      upsertDocs,
      async (c) =>
        c.json(await upsertLink(c.get("ctx"), { workspaceId: c.req.param("ws")!, body: await readJson(c) })),
    ),
    PUT: documented(
      upsertDocs,
      async (c) =>
        c.json(await upsertLink(c.get("ctx"), { workspaceId: c.req.param("ws")!, body: await readJson(c) })),
    ),
    DELETE: documented(
      {
        tags: LINK_TAGS,
        summary: "Delete a connection by `id`, or by `fromId` and `toId`",
        parameters: [
          WORKSPACE_PARAM,
          queryParam("id", { type: "string" }, "Connection id"),
          queryParam("fromId", { type: "string" }, "Stream id"),
          queryParam("toId", { type: "string" }, "Destination id"),
        ],
        responses: { "200": ok("`{deleted}`"), ...errors("400", "401", "403", "404") },
      },
      async (c) =>
        c.json(
          await deleteLink(c.get("ctx"), {
            workspaceId: c.req.param("ws")!,
            id: c.req.query("id"),
            fromId: c.req.query("fromId"),
            toId: c.req.query("toId"),
          }),
        ),
    ),
  });

  route(app, "/api/:ws/config/:type", {
    GET: documented(
      {
        tags: TAGS,
        summary: `List ${T} objects (oldest first)`,
        parameters: [
          WORKSPACE_PARAM,
          queryParam("fields", { type: "string" }, "Comma-separated fields to return, e.g. id,name"),
          queryParam("slim", BOOL, "Leave out big fields (function code)"),
          ...PAGE_PARAMS,
        ],
        responses: { "200": ok("`{objects, total, limit, offset}`"), ...errors("400", "401", "404") },
      },
      async (c) =>
        c.json(
          await listResources(c.get("ctx"), {
            workspaceId: c.req.param("ws")!,
            type: typeParam(c),
            slim: boolQuery(c.req.query("slim"), "slim"),
            fields: listQuery(c.req.query("fields")),
            limit: intQuery(c.req.query("limit"), "limit"),
            offset: intQuery(c.req.query("offset"), "offset"),
          }),
        ),
    ),
    POST: documented(
      {
        tags: TAGS,
        summary: `Create a ${T}`,
        parameters: [WORKSPACE_PARAM],
        requestBody: jsonBody(schemaRef(TITLE)),
        responses: {
          "201": ok("The object, secrets masked (a stream's generated `writeKey` once)"),
          ...errors("400", "401", "403", "404", "409"),
        },
      },
      async (c) =>
        c.json(
          await createResource(c.get("ctx"), {
            workspaceId: c.req.param("ws")!,
            type: typeParam(c),
            data: await readJson(c),
          }),
          201,
        ),
    ),
  });

  async function update(c: Context<AppEnv>) {
    const { data, expectedUpdatedAt } = await patchOf(c);
    const out = await updateResource(c.get("ctx"), {
      workspaceId: c.req.param("ws")!,
      type: typeParam(c),
      id: c.req.param("id")!,
      data,
      expectedUpdatedAt,
    });
    etag(c, out);
    return c.json(out);
  }

  const updateDocs = {
    tags: TAGS,
    summary: `Update a ${T}: merge patch, then the whole object is validated again`,
    parameters: [
      WORKSPACE_PARAM,
      ID,
      IF_MATCH,
      queryParam("expectedUpdatedAt", { type: "string" }, "Same as If-Match"),
    ],
    requestBody: jsonBody({ type: "object", description: `Any subset of a ${TITLE}` }),
    responses: {
      "200": ok("The updated object (ETag: its updatedAt)"),
      ...errors("400", "401", "403", "404", "409"),
    },
  };
  route(app, "/api/:ws/config/:type/:id", {
    GET: documented(
      {
        tags: TAGS,
        summary: `Get a ${T} (secrets masked; ETag: its updatedAt)`,
        parameters: [WORKSPACE_PARAM, ID],
        responses: { "200": ok("The object"), ...errors("401", "404") },
      },
      async (c) => {
        const out = await getResource(c.get("ctx"), {
          workspaceId: c.req.param("ws")!,
          type: typeParam(c),
          id: c.req.param("id")!,
        });
        etag(c, out);
        return c.json(out);
      },
    ),
    PUT: documented(updateDocs, update),
    PATCH: documented(updateDocs, update),
    DELETE: documented(
      {
        tags: TAGS,
        summary: `Soft-delete a ${T}`,
        parameters: [
          WORKSPACE_PARAM,
          ID,
          queryParam("strict", BOOL, "Refuse when connections use it (the default)"),
          queryParam("cascade", BOOL, "Delete the connections that use it too"),
        ],
        responses: {
          "200": ok("The deleted object, `deleted: true`, `deletedConnections`"),
          ...errors("400", "401", "403", "404", "409"),
        },
      },
      async (c) =>
        c.json(
          await deleteResource(c.get("ctx"), {
            workspaceId: c.req.param("ws")!,
            type: typeParam(c),
            id: c.req.param("id")!,
            strict: boolQuery(c.req.query("strict"), "strict"),
            cascade: boolQuery(c.req.query("cascade"), "cascade"),
          }),
        ),
    ),
  });
  return app;
}
