/**
 * The web console: `/{workspace}/...` (slug or id) pages; `/` (consoleHome, mounted in src/app.ts before
 * the user page) opens the last or first workspace.
 * Mounted after every other router, so `/api`, `/mcp`, `/user` and the rest keep their routes; the
 * reserved first segments below never reach a console page.
 */
import { type Context, Hono, type Next } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { consoleAssetsRouter } from "./assets.ts";
import { auditPage } from "./audit_page.tsx";
import { mountMembers } from "./members_page.tsx";
import { mountLiveEvents } from "./live_events.tsx";
import { overviewData, OverviewPage } from "./overview.tsx";
import { OverviewChart, overviewChartData } from "./overview_chart.tsx";
import { mountResourcePages } from "./resource_routes.tsx";
import { mountSyncs } from "./syncs_page.tsx";
import { consoleErrorPage, openConsole, RESERVED_SEGMENTS, workspaceKey } from "./shell.tsx";

async function notReserved(c: Context<AppEnv>, next: Next) {
  const first = c.req.path.split("/")[1] ?? "";
  if (RESERVED_SEGMENTS.has(first) || first.startsWith(".")) return c.notFound();
  await next();
}

/** The console's routes. */
export function consoleRouter() {
  const app = new Hono<AppEnv>();
  app.route("/", consoleAssetsRouter());
  // The header's workspace switcher (a GET form: it changes nothing but the page shown).
  app.get("/console/switch", function switchWorkspace(c) {
    const to = c.req.query("to") ?? "";
    return c.redirect(to && /^[A-Za-z0-9_.-]+$/.test(to) ? `/${to}` : "/", 302);
  });
  app.use("/:ws", notReserved);
  app.use("/:ws/*", notReserved);
  app.get("/:ws", async function overview(c) {
    const page = await openConsole(c, c.req.param("ws"));
    if (page instanceof Response) return page;
    const [data, chart] = await Promise.all([overviewData(page), overviewChartData(page)]);
    return c.html(
      <OverviewPage page={page} data={data} chart={<OverviewChart page={page} data={chart} />} />,
    );
  });
  app.get("/:ws/audit", auditPage);
  mountMembers(app);
  mountLiveEvents(app);
  mountSyncs(app);
  mountResourcePages(app);
  // Pages the console does not have (yet): a clear 404 inside Sluice's look, for signed-in users too.
  app.all("/:ws/*", async function noSuchPage(c) {
    const page = await openConsole(c, c.req.param("ws"));
    if (page instanceof Response) return page;
    return consoleErrorPage(
      c,
      404,
      `The console has no page ${c.req.path} in workspace "${workspaceKey(page.workspace)}".`,
    );
  });
  return app;
}
