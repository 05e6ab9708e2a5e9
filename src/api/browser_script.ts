/**
 * `GET /p.js` and `/lib.js`: Jitsu's browser script (src/ingest/browser_script.ts). Cached by browsers and
 * CDNs for an hour, revalidated with its ETag (304), compressed with brotli or gzip when accepted, and
 * readable from any origin.
 */
import { type Context, Hono } from "hono";
import { describeRoute } from "hono-openapi";
import type { AppEnv } from "../http/env.ts";
import {
  type BrowserScript,
  etagMatches,
  loadBrowserScript,
  pickEncoding,
} from "../ingest/browser_script.ts";
import { BROWSER_SCRIPT } from "./ingest_docs.ts";

const CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400";

/** The router; the script is read on the first request and kept for the app's life. */
export function browserScriptRouter() {
  const app = new Hono<AppEnv>();
  let script: Promise<BrowserScript> | null = null;

  async function serve(c: Context<AppEnv>) {
    script ??= loadBrowserScript();
    const s = await script;
    const headers: Record<string, string> = {
      etag: s.etag,
      "cache-control": CACHE_CONTROL,
      vary: "Accept-Encoding",
      "access-control-allow-origin": "*",
      "x-request-id": c.get("requestId") ?? "",
    };
    if (etagMatches(c.req.header("if-none-match"), s.etag)) {
      return new Response(null, { status: 304, headers });
    }
    const encoding = pickEncoding(c.req.header("accept-encoding"));
    const body = s[encoding];
    headers["content-type"] = "application/javascript; charset=utf-8";
    headers["content-length"] = String(body.length);
    if (encoding !== "identity") headers["content-encoding"] = encoding;
    return new Response(c.req.method === "HEAD" ? null : body, { status: 200, headers });
  }

  for (const path of ["/p.js", "/lib.js"]) app.get(path, describeRoute(BROWSER_SCRIPT), serve);
  return app;
}
