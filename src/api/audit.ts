import { Hono } from "hono";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { AuditQueryInput, listAuditLog } from "../services/audit.ts";
import { intQuery } from "./query.ts";
import { documented, errors, ok, paramsFrom, WORKSPACE_PARAM } from "./route_docs.ts";

/** `GET /api/{ws}/audit-log[?objectId=&type=&limit=&offset=]`: every change to configuration, newest first. */
export function auditRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/audit-log", requireAuth);
  route(app, "/api/:ws/audit-log", {
    GET: documented(
      {
        tags: ["Audit"],
        summary: "Every change to configuration, newest first",
        description: "Who changed what, when, through which face (REST, MCP, CLI, web), with the object " +
          "before and after; secrets masked.",
        parameters: [
          WORKSPACE_PARAM,
          ...paramsFrom(AuditQueryInput, {
            objectId: "query",
            type: ["query", "objectType"],
            limit: "query",
            offset: "query",
          }),
        ],
        responses: { "200": ok("`{entries, limit, offset}`"), ...errors("400", "401", "404") },
      },
      async (c) =>
        c.json(
          await listAuditLog(c.get("ctx"), {
            workspaceId: c.req.param("ws")!,
            objectId: c.req.query("objectId"),
            objectType: c.req.query("type"),
            limit: intQuery(c.req.query("limit"), "limit"),
            offset: intQuery(c.req.query("offset"), "offset"),
          }),
        ),
    ),
  });
  return app;
}
