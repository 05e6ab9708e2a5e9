import { Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import { metricsRouter } from "./api/metrics.ts";
import { systemRouter } from "./api/system.ts";
import { userKeysRouter } from "./api/user_keys.ts";
import { eventsLogRouter } from "./api/events_log.ts";
import { wellKnownRouter } from "./api/well_known.ts";
import { mcpRouter } from "./mcp/http.ts";
import { workspacesRouter } from "./api/workspaces.ts";
import { auditRouter } from "./api/audit.ts";
import { membersRouter } from "./api/members.ts";
import { eventStatRouter } from "./api/event_stat.ts";
import { configRouter } from "./api/config.ts";
import { destinationTestRouter } from "./api/test_connection.ts";
import { schemaRouter } from "./api/schema.ts";
import { functionRunRouter } from "./api/function_run.ts";
import { ingestRouter } from "./api/ingest.ts";
import { segmentRouter } from "./api/segment.ts";
import { pixelRouter } from "./api/pixel.ts";
import { browserScriptRouter } from "./api/browser_script.ts";
import { deadLetterRouter } from "./api/dead_letter.ts";
import { openApiRouter } from "./api/openapi.ts";
import { syncsRouter } from "./api/syncs.ts";
import type { Deps } from "./deps.ts";
import { requireAuth } from "./http/auth.ts";
import { lazyRoutes } from "./http/lazy_routes.ts";
import type { AppEnv } from "./http/env.ts";
import { requestLog } from "./http/request_log.ts";
import { notFoundHandler, restErrorHandler } from "./http/rest_errors.ts";
import { oauthResourceMetadata } from "./oauth/metadata.ts";
import { apiReferenceRouter } from "./ui/api_reference.ts";
import { PAGE_ROUTES } from "./ui/page_routes.ts";
import type { PageGroup } from "./ui/pages.ts";

/**
 * The pages, the OAuth authorization server and the console load on their first request (src/ui/pages.ts),
 * not before the server answers `/healthz`. Not a literal, for the reason given at SERVE_MODULE in
 * src/cli/run.ts; `deno compile` embeds it through `--include`, the Dockerfile installs its packages by
 * naming it as an entry point.
 */
const PAGES_MODULE = "./ui/pages.ts";

/** One page group's routes, mounted where the group's router would be; its module loads on first match. */
function pages(group: PageGroup) {
  return lazyRoutes(PAGE_ROUTES[group], async function loadPages() {
    const { PAGE_GROUPS } = await import(PAGES_MODULE) as typeof import("./ui/pages.ts");
    return PAGE_GROUPS[group]();
  });
}

/**
 * Builds the whole HTTP app from its dependencies. Does no I/O itself.
 *
 * Hono runs the middleware and handlers that match a request in the order they were added, so the order
 * below matters in two ways: a guard (`app.use`) comes before the routes it protects, and a route comes
 * before a broader pattern that would also match it. Guards are per path, never one on all of `/api/*`,
 * because ingest (`/api/s/*`, write keys) and the API reference (`/api/docs`) take no bearer.
 */
export function createApp(deps: Deps): Hono<AppEnv> {
  // The router Hono's default (SmartRouter) ends up with for these routes anyway: it first tries to build a
  // RegExpRouter, which refuses `/api/:ws/config/destination/test` beside `/api/:ws/config/:type/:id`, and
  // that failed build was half of the first request's cost (tests/http/router_test.ts checks both).
  const app = new Hono<AppEnv>({ router: new TrieRouter() });
  // First, so every request is logged with its id, errors and 404s included.
  app.use("*", requestLog(deps));
  app.onError(restErrorHandler);
  app.notFound(notFoundHandler);

  // Health, setup, the OAuth 2.1 authorization server, login and the user page: none of them takes a
  // bearer (a setup token, client credentials or a session cookie instead), and no guard below covers them.
  app.route("/", systemRouter());
  app.route("/", metricsRouter());
  app.route("/", pages("setup"));
  app.route("/", pages("invite"));
  app.route("/", pages("resetPassword"));
  app.route("/", pages("oauth"));
  app.route("/", pages("login"));
  app.route("/", pages("consoleHome")); // before the user page's own "/": a signed-in user lands in the console
  app.route("/", pages("userPage"));

  // Management API: the bearer guard before the routes it protects. Bodies are limited where they are
  // read (readJson in src/http/body.ts, while reading), so nothing here buffers them.
  app.use("/api/user/*", requireAuth);
  app.use("/api/workspace", requireAuth);
  app.use("/api/workspace/*", requireAuth);
  app.route("/", userKeysRouter());
  app.route("/", workspacesRouter());
  app.route("/", membersRouter());
  // /api/{ws}/config/* and /api/{ws}/audit-log add their guards in their own routers; schemas need none.
  app.route("/", schemaRouter());
  // Before configRouter, whose /config/:type/:id would answer POST .../destination/test with 405.
  app.route("/", destinationTestRouter());
  app.route("/", configRouter());
  app.route("/", auditRouter());
  app.route("/", eventStatRouter());

  // MCP: /mcp authenticates each request itself (401 with RFC 9728 metadata), so it needs no guard here;
  // Live Events has its own guard.
  app.route("/", wellKnownRouter({ extensions: [oauthResourceMetadata] }));
  app.route("/", mcpRouter(deps));
  app.route("/", eventsLogRouter());
  // Pipeline: ingest checks write keys, never a bearer; Functions test runs and the dead letter guard
  // their own paths.
  app.route("/", ingestRouter());
  app.route("/", segmentRouter());
  app.route("/", pixelRouter());
  app.route("/", browserScriptRouter());
  app.route("/", functionRunRouter());
  app.route("/", deadLetterRouter());
  app.route("/", syncsRouter());
  // The OpenAPI document is generated from the routes above (and its own), so it is mounted last.
  app.route("/", apiReferenceRouter());
  app.route("/", openApiRouter(app));
  // The web console's `/{workspace}/...` pages: last, so every route above keeps its path.
  app.route("/", pages("console"));
  return app;
}
