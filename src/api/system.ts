import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { VERSION } from "../version.ts";

/** `GET /healthz` (checks the database) and `GET /version`; no auth. */
export function systemRouter() {
  const app = new Hono<AppEnv>();
  route(app, "/healthz", {
    GET: async function healthz(c) {
      const deps = c.get("deps");
      try {
        await deps.db.query("select 1");
        return c.json({ status: "ok", database: deps.db.driver });
      } catch (e) {
        deps.log.error("health check failed", { error: e, requestId: c.get("requestId") });
        return c.json({ status: "error", database: deps.db.driver, error: "database unreachable" }, 503);
      }
    },
  });
  route(app, "/version", {
    GET: (c) => c.json({ name: "sluice", version: VERSION, deno: Deno.version.deno }),
  });
  return app;
}
