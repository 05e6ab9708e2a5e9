import { Hono } from "hono";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import {
  createWorkspace,
  getWorkspace,
  listWorkspaces,
  updateWorkspace,
  WorkspaceCreateInput,
  WorkspaceUpdateInput,
} from "../services/workspaces.ts";
import { ValidationError } from "../errors.ts";
import { documented, errors, jsonBody, ok, PAGE_PARAMS, pathParam } from "./route_docs.ts";

const TAGS = ["Workspaces"];
const WS = pathParam("ws", "Workspace id or slug");

function intQuery(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new ValidationError(`Query parameter ${name} must be a whole number`, [{
      path: name,
      message: "must be a whole number",
    }]);
  }
  return Number(value);
}

/** `GET|POST /api/workspace`, `GET|PUT /api/workspace/{idOrSlug}`. */
export function workspacesRouter() {
  const app = new Hono<AppEnv>();
  route(app, "/api/workspace", {
    GET: documented(
      {
        tags: TAGS,
        summary: "List the workspaces you belong to (an admin sees all)",
        parameters: PAGE_PARAMS,
        responses: {
          "200": ok("An array of `{id, name, slug, role, createdAt, updatedAt}`"),
          ...errors("400", "401"),
        },
      },
      async (c) =>
        c.json(
          await listWorkspaces(c.get("ctx"), {
            limit: intQuery(c.req.query("limit"), "limit"),
            offset: intQuery(c.req.query("offset"), "offset"),
          }),
        ),
    ),
    POST: documented(
      {
        tags: TAGS,
        summary: "Create a workspace; you become its owner",
        requestBody: jsonBody(WorkspaceCreateInput),
        responses: { "201": ok("The workspace"), ...errors("400", "401", "403", "409") },
      },
      async (c) => c.json(await createWorkspace(c.get("ctx"), await readJson(c)), 201),
    ),
  });
  route(app, "/api/workspace/:ws", {
    GET: documented(
      {
        tags: TAGS,
        summary: "Get a workspace by id or slug",
        parameters: [WS],
        responses: { "200": ok("The workspace"), ...errors("401", "404") },
      },
      async (c) => c.json(await getWorkspace(c.get("ctx"), c.req.param("ws")!)),
    ),
    PUT: documented(
      {
        tags: TAGS,
        summary: "Rename a workspace or change its slug",
        parameters: [WS],
        requestBody: jsonBody(WorkspaceUpdateInput),
        responses: { "200": ok("The workspace"), ...errors("400", "401", "403", "404", "409") },
      },
      async (c) => c.json(await updateWorkspace(c.get("ctx"), c.req.param("ws")!, await readJson(c))),
    ),
  });
  return app;
}
