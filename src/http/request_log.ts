import type { Context, Next } from "hono";
import { routePath } from "hono/route";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "./env.ts";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

// A credential-shaped path segment: `keyId:secret` (also percent-encoded), the form of write keys, API keys
// and tokens. The segment after `/projects/` is Segment's settings path, whose write key may have no colon.
const CREDENTIAL_SEGMENT = /^([^:%]*)(?::|%3a)(.*)$/i;

/**
 * The path as logged: a credential in it is masked (`keyId:***`, or `***` after `/projects/`), so a write
 * key in Segment's settings path or anywhere else never reaches a log line. Query strings are never logged.
 */
export function loggablePath(path: string): string {
  if (!path.includes(":") && !/%3a/i.test(path) && !path.includes("/projects/")) return path;
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    if (parts[i - 1] === "projects") {
      parts[i] = "***";
      continue;
    }
    const m = CREDENTIAL_SEGMENT.exec(parts[i]);
    if (m && m[2] !== "") parts[i] = `${m[1]}:***`;
  }
  return parts.join("/");
}

/** Gives every request an id (kept from a sane X-Request-Id) and logs one line when it ends. */
export function requestLog(deps: Deps) {
  return async function requestLogMiddleware(c: Context<AppEnv>, next: Next) {
    const incoming = c.req.header("x-request-id");
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.set("deps", deps);
    const start = performance.now();
    await next();
    // On the finished response's own headers. Not c.header() before next(): prepared headers make Hono
    // hand Deno a Headers object for every c.json(), which Deno copies through its slow Headers iterator
    // (~10% of a single ingested event's CPU). Not c.header() after: Hono would copy the whole response.
    const headers = c.res.headers;
    if (!headers.has("X-Request-Id")) {
      try {
        headers.set("X-Request-Id", id);
      } catch {
        c.header("X-Request-Id", id); // immutable headers (a Response from fetch()): Hono copies it
      }
    }
    const elapsed = performance.now() - start;
    const ms = Math.round(elapsed * 10) / 10;
    // The route's pattern (never the path: ids and keys in paths would make a series per request).
    const pattern = routePath(c);
    const route = pattern === "/*" ? "unmatched" : pattern;
    deps.metrics.inc("sluice_http_requests_total", { route, method: c.req.method, status: c.res.status });
    deps.metrics.inc("sluice_http_request_duration_seconds_sum", { route }, elapsed / 1000);
    deps.metrics.inc("sluice_http_request_duration_seconds_count", { route });
    // Path only: query strings can carry write keys (?writekey=), so they never reach the log.
    deps.log.info("request", {
      method: c.req.method,
      path: loggablePath(c.req.path),
      status: c.res.status,
      ms,
      requestId: id,
    });
  };
}
