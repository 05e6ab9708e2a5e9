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

  route(app, "/api/:ws/config/link", {
    GET: async (c) => c.json(await listLinks(c.get("ctx"), { workspaceId: c.req.param("ws")! })),
    POST: async (c) =>
      c.json(await upsertLink(c.get("ctx"), { workspaceId: c.req.param("ws")!, body: await readJson(c) })),
    PUT: async (c) =>
      c.json(await upsertLink(c.get("ctx"), { workspaceId: c.req.param("ws")!, body: await readJson(c) })),
    DELETE: async (c) =>
      c.json(
        await deleteLink(c.get("ctx"), {
          workspaceId: c.req.param("ws")!,
          id: c.req.query("id"),
          fromId: c.req.query("fromId"),
          toId: c.req.query("toId"),
        }),
      ),
  });

  route(app, "/api/:ws/config/:type", {
    GET: async (c) =>
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
    POST: async (c) =>
      c.json(
        await createResource(c.get("ctx"), {
          workspaceId: c.req.param("ws")!,
          type: typeParam(c),
          data: await readJson(c),
        }),
        201,
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

  route(app, "/api/:ws/config/:type/:id", {
    GET: async (c) => {
      const out = await getResource(c.get("ctx"), {
        workspaceId: c.req.param("ws")!,
        type: typeParam(c),
        id: c.req.param("id")!,
      });
      etag(c, out);
      return c.json(out);
    },
    PUT: update,
    PATCH: update,
    DELETE: async (c) =>
      c.json(
        await deleteResource(c.get("ctx"), {
          workspaceId: c.req.param("ws")!,
          type: typeParam(c),
          id: c.req.param("id")!,
          strict: boolQuery(c.req.query("strict"), "strict"),
          cascade: boolQuery(c.req.query("cascade"), "cascade"),
        }),
      ),
  });
  return app;
}
