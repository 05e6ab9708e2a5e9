import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { systemRouter } from "./api/system.ts";
import { userKeysRouter } from "./api/user_keys.ts";
import { workspacesRouter } from "./api/workspaces.ts";
import type { Deps } from "./deps.ts";
import { requireAuth } from "./http/auth.ts";
import type { AppEnv } from "./http/env.ts";
import { requestLog } from "./http/request_log.ts";
import { notFoundHandler, restErrorHandler } from "./http/rest_errors.ts";
import { MAX_JSON_BODY } from "./http/body.ts";
import { setupRouter } from "./ui/setup.tsx";

/** Builds the whole HTTP app from its dependencies. Does no I/O itself. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestLog(deps));
  app.onError(restErrorHandler);
  app.notFound(notFoundHandler);

  app.route("/", systemRouter());
  app.route("/", setupRouter());

  // Management API: authenticated, bodies up to 1 MB.
  app.use("/api/user/*", bodyLimit({ maxSize: MAX_JSON_BODY }), requireAuth);
  app.use("/api/workspace", requireAuth);
  app.use("/api/workspace/*", bodyLimit({ maxSize: MAX_JSON_BODY }), requireAuth);
  app.route("/", userKeysRouter());
  app.route("/", workspacesRouter());
  return app;
}
