import type { Context, Next } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "./env.ts";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Gives every request an id (kept from a sane X-Request-Id) and logs one line when it ends. */
export function requestLog(deps: Deps) {
  return async function requestLogMiddleware(c: Context<AppEnv>, next: Next) {
    const incoming = c.req.header("x-request-id");
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.set("deps", deps);
    const start = performance.now();
    // Set before the handler runs, so c.json() builds the response with it. Set after, Hono would copy
    // the finished response to add one header (a twentieth of a REST read's CPU). A raw Response that a
    // handler returns (MCP) does not carry prepared headers: it gets the header afterwards.
    c.header("X-Request-Id", id);
    await next();
    if (!c.res.headers.has("X-Request-Id")) c.header("X-Request-Id", id);
    const ms = Math.round((performance.now() - start) * 10) / 10;
    // Path only: query strings can carry write keys (?writekey=), so they never reach the log.
    deps.log.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms,
      requestId: id,
    });
  };
}
