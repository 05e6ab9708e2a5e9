import { Hono } from "hono";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { createWorkspace, getWorkspace, listWorkspaces, updateWorkspace } from "../services/workspaces.ts";
import { ValidationError } from "../errors.ts";

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
    GET: async (c) =>
      c.json(
        await listWorkspaces(c.get("ctx"), {
          limit: intQuery(c.req.query("limit"), "limit"),
          offset: intQuery(c.req.query("offset"), "offset"),
        }),
      ),
    POST: async (c) => c.json(await createWorkspace(c.get("ctx"), await readJson(c)), 201),
  });
  route(app, "/api/workspace/:ws", {
    GET: async (c) => c.json(await getWorkspace(c.get("ctx"), c.req.param("ws")!)),
    PUT: async (c) => c.json(await updateWorkspace(c.get("ctx"), c.req.param("ws")!, await readJson(c))),
  });
  return app;
}
