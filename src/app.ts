import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { systemRouter } from "./api/system.ts";
import { userKeysRouter } from "./api/user_keys.ts";
import { eventsLogRouter } from "./api/events_log.ts";
import { wellKnownRouter } from "./api/well_known.ts";
import { mcpRouter } from "./mcp/http.ts";
import { workspacesRouter } from "./api/workspaces.ts";
import { auditRouter } from "./api/audit.ts";
import { configRouter } from "./api/config.ts";
import { destinationTestRouter } from "./api/test_connection.ts";
import { schemaRouter } from "./api/schema.ts";
import { functionRunRouter } from "./api/function_run.ts";
import { ingestRouter } from "./api/ingest.ts";
import { deadLetterRouter } from "./api/dead_letter.ts";
import { openApiRouter } from "./api/openapi.ts";
import type { Deps } from "./deps.ts";
import { requireAuth } from "./http/auth.ts";
import type { AppEnv } from "./http/env.ts";
import { requestLog } from "./http/request_log.ts";
import { notFoundHandler, restErrorHandler } from "./http/rest_errors.ts";
import { MAX_JSON_BODY } from "./http/body.ts";
import { setupRouter } from "./ui/setup.tsx";
import { oauthResourceMetadata } from "./oauth/metadata.ts";
import { oauthRouter } from "./oauth/router.ts";
import { loginRouter } from "./ui/login.tsx";
import { userPageRouter } from "./ui/user_page.tsx";
import { apiReferenceRouter } from "./ui/api_reference.tsx";

/** Builds the whole HTTP app from its dependencies. Does no I/O itself. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestLog(deps));
  app.onError(restErrorHandler);
  app.notFound(notFoundHandler);

  app.route("/", systemRouter());
  app.route("/", setupRouter());
  // OAuth 2.1 authorization server, login and the user page (issue 5).
  app.route("/", oauthRouter());
  app.route("/", loginRouter());
  app.route("/", userPageRouter());

  // Management API: authenticated, bodies up to 1 MB.
  app.use("/api/user/*", bodyLimit({ maxSize: MAX_JSON_BODY }), requireAuth);
  app.use("/api/workspace", requireAuth);
  app.use("/api/workspace/*", bodyLimit({ maxSize: MAX_JSON_BODY }), requireAuth);
  app.route("/", userKeysRouter());
  app.route("/", workspacesRouter());
  // Configuration objects (issue 3): /api/{ws}/config/* and /api/{ws}/audit-log authenticate per
  // route (never a catch-all on /api/*, which would swallow ingest's /api/s/*); schemas need no auth.
  app.route("/", schemaRouter());
  // Warehouses (issue 7): before configRouter, whose /config/:type/:id would answer POST .../test with 405.
  app.route("/", destinationTestRouter());
  app.route("/", configRouter());
  app.route("/", auditRouter());

  // MCP (issue 4): /mcp authenticates each request itself (401 with RFC 9728 metadata), plus Live Events.
  app.route("/", wellKnownRouter({ extensions: [oauthResourceMetadata] }));
  app.route("/", mcpRouter(deps));
  app.route("/", eventsLogRouter());
  // Pipeline (issue 6): ingest (write keys, no bearer) and test runs of Functions.
  app.route("/", ingestRouter());
  app.route("/", functionRunRouter());
  app.route("/", deadLetterRouter());
  // The OpenAPI document is generated from the routes above (and its own), so it is mounted last.
  app.route("/", apiReferenceRouter());
  app.route("/", openApiRouter(app));
  return app;
}
