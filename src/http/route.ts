import type { Handler, Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.ts";
import { errorBody } from "./rest_errors.ts";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A handler, or a middleware (such as its OpenAPI description, src/api/route_docs.ts) and the handler. */
export type RouteHandler = Handler<AppEnv> | readonly [MiddlewareHandler<AppEnv>, Handler<AppEnv>];

/**
 * Registers the handlers of one path and answers any other method with 405 and `Allow`, so a wrong
 * method is a clear error instead of a 404.
 */
export function route(
  app: Hono<AppEnv>,
  path: string,
  handlers: Partial<Record<Method, RouteHandler>>,
): void {
  const allowed = Object.keys(handlers) as Method[];
  for (const m of allowed) {
    const h = handlers[m]!;
    if (typeof h === "function") app.on(m, path, h);
    else app.on(m, path, h[0], h[1]);
  }
  app.all(path, function methodNotAllowed(c) {
    c.header("Allow", allowed.join(", "));
    return c.json(
      errorBody(
        c,
        "method_not_allowed",
        `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(", ")}`,
      ),
      405,
    );
  });
}
