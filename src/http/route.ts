import type { Handler, Hono } from "hono";
import type { AppEnv } from "./env.ts";
import { errorBody } from "./rest_errors.ts";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * Registers the handlers of one path and answers any other method with 405 and `Allow`, so a wrong
 * method is a clear error instead of a 404.
 */
export function route(
  app: Hono<AppEnv>,
  path: string,
  handlers: Partial<Record<Method, Handler<AppEnv>>>,
): void {
  const allowed = Object.keys(handlers) as Method[];
  for (const m of allowed) app.on(m, path, handlers[m]!);
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
