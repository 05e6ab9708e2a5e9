/**
 * Writes src/ui/page_routes.ts, the routes of each lazily loaded page group, from the routers themselves
 * (src/ui/pages.ts): `deno task routes`. tests/http/lazy_routes_test.ts fails when the file is stale.
 */
import { Hono } from "hono";
import type { AppEnv } from "../src/http/env.ts";
import { PAGE_GROUPS } from "../src/ui/pages.ts";

/** The text of src/ui/page_routes.ts for the routers as they are now. */
export function pageRoutesSource(): string {
  const groups = Object.entries(PAGE_GROUPS).map(function listed([name, router]) {
    const routes = new Hono<AppEnv>().route("/", router()).routes;
    const lines = routes.map((r) => `    [${JSON.stringify(r.method)}, ${JSON.stringify(r.path)}],\n`);
    return `  ${name}: [\n${lines.join("")}  ],\n`;
  });
  return "/**\n" +
    " * The routes of each page group that the app loads on first request (src/ui/pages.ts), as mounting its\n" +
    " * router at `/` registers them, in order. Written by `deno task routes` (tools/page_routes.ts): do not\n" +
    " * edit; src/app.ts mounts these without loading the pages.\n" +
    " */\n" +
    'import type { RouteSpec } from "../http/lazy_routes.ts";\n' +
    'import type { PageGroup } from "./pages.ts";\n\n' +
    `export const PAGE_ROUTES: Record<PageGroup, readonly RouteSpec[]> = {\n${groups.join("")}};\n`;
}

if (import.meta.main) {
  const path = new URL("../src/ui/page_routes.ts", import.meta.url);
  const before = await Deno.readTextFile(path).catch(() => "");
  const next = pageRoutesSource();
  if (next !== before) await Deno.writeTextFile(path, next);
  console.log(next === before ? "src/ui/page_routes.ts is current" : "src/ui/page_routes.ts updated");
}
