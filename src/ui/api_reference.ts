import { type Context, Hono } from "hono";
import swaggerUi from "swagger-ui-dist/package.json" with { type: "json" };
import { documented, errors, pathParam, PUBLIC } from "../api/route_docs.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";

/**
 * `/api/docs`: an interactive reference of `/api/openapi.json` (Swagger UI). Its script and stylesheet
 * are served by Sluice from the npm package: no CDN, so the page works offline and leaks no visit.
 * They are imported as text, which puts them in the module graph (and so in `deno compile`'s binary),
 * and loaded on first use only: the server starts without reading 2 MB it may never serve.
 */
const ASSETS = "/api/docs/assets";
const VERSION = swaggerUi.version;

const INIT = `window.addEventListener("load",function(){window.ui=SwaggerUIBundle({url:"/api/openapi.json",` +
  `dom_id:"#swagger-ui",deepLinking:true,validatorUrl:null,presets:[SwaggerUIBundle.presets.apis],` +
  `layout:"BaseLayout",persistAuthorization:false})});`;

type Asset = { type: string; load(): Promise<string> };

const FILES: Record<string, Asset> = {
  "swagger-ui-bundle.js": {
    type: "text/javascript; charset=utf-8",
    load: async () =>
      (await import("swagger-ui-dist/swagger-ui-bundle.js", { with: { type: "text" } })).default,
  },
  "swagger-ui.css": {
    type: "text/css; charset=utf-8",
    load: async () => (await import("swagger-ui-dist/swagger-ui.css", { with: { type: "text" } })).default,
  },
  "init.js": { type: "text/javascript; charset=utf-8", load: () => Promise.resolve(INIT) },
};

/**
 * The page itself (JSX, and with it Hono's JSX runtime and the pages' layout) loads on the first visit, not
 * with the API. Not a literal, for the reason given at SERVE_MODULE in src/cli/run.ts; `deno compile` embeds
 * it through `--include`, the Dockerfile installs its packages by naming it as an entry point.
 */
const PAGE_MODULE = "./api_reference_page.tsx";

// A year, immutable: the URLs carry the package's version, so an upgrade changes them.
const ASSET_CACHE = "public, max-age=31536000, immutable";

function asset(name: string): string {
  return `${ASSETS}/${name}?v=${VERSION}`;
}

function pageHeaders(c: Context) {
  c.header("Cache-Control", "no-cache");
  // Swagger UI sets inline styles and shows data: images; "Try it out" calls this origin only.
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
      "connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
  );
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "no-referrer");
}

/** The API reference page and its assets; public, like the document it shows. */
export function apiReferenceRouter() {
  const app = new Hono<AppEnv>();
  const loaded = new Map<string, Promise<string>>();
  route(app, "/api/docs", {
    GET: documented(
      {
        tags: ["Schema"],
        summary: "This reference, as a web page",
        security: PUBLIC,
        responses: { "200": { description: "HTML", content: { "text/html": {} } } },
      },
      async function apiReference(c) {
        const { referencePage } = await import(PAGE_MODULE) as typeof import("./api_reference_page.tsx");
        pageHeaders(c);
        return c.html(referencePage({
          stylesheet: asset("swagger-ui.css"),
          bundle: asset("swagger-ui-bundle.js"),
          init: asset("init.js"),
        }));
      },
    ),
  });
  route(app, "/api/docs/assets/:file", {
    GET: documented(
      {
        tags: ["Schema"],
        summary: "The reference page's script and stylesheet (cached for a year)",
        security: PUBLIC,
        parameters: [pathParam("file", "An asset of the page", { enum: Object.keys(FILES) })],
        responses: {
          "200": { description: "JavaScript or CSS", content: { "text/javascript": {}, "text/css": {} } },
          ...errors("404"),
        },
      },
      async function apiReferenceAsset(c) {
        const name = c.req.param("file")!;
        const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
        if (!file) return c.notFound();
        let text = loaded.get(name);
        if (!text) {
          text = file.load().catch(function retryLater(e) {
            loaded.delete(name); // a failed load is tried again on the next request, not kept
            throw e;
          });
          loaded.set(name, text);
        }
        return c.body(await text, 200, { "Content-Type": file.type, "Cache-Control": ASSET_CACHE });
      },
    ),
  });
  return app;
}
