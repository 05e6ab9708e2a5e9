import { Hono } from "hono";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { listAuditLog } from "../services/audit.ts";
import { intQuery } from "./query.ts";

/** `GET /api/{ws}/audit-log[?objectId=&type=&limit=&offset=]`: every change to configuration, newest first. */
export function auditRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/audit-log", requireAuth);
  route(app, "/api/:ws/audit-log", {
    GET: async (c) =>
      c.json(
        await listAuditLog(c.get("ctx"), {
          workspaceId: c.req.param("ws")!,
          objectId: c.req.query("objectId"),
          objectType: c.req.query("type"),
          limit: intQuery(c.req.query("limit"), "limit"),
          offset: intQuery(c.req.query("offset"), "offset"),
        }),
      ),
  });
  return app;
}
