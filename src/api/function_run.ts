import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_JSON_BODY, readJson } from "../http/body.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { type FunctionCodeLoader, runFunction } from "../sandbox/run_function.ts";

/**
 * `POST /api/{ws}/function/run {functionId?, code?, event, props?, store?}` (Jitsu console's path):
 * runs a function on a sample event and returns `{result, dropped, logs, store, error}`; saves nothing.
 */
export function functionRunRouter({ loadCode }: { loadCode?: FunctionCodeLoader } = {}) {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/function/run", bodyLimit({ maxSize: MAX_JSON_BODY }), requireAuth);
  route(app, "/api/:ws/function/run", {
    POST: async (c) => {
      const body = await readJson(c);
      const input = typeof body === "object" && body !== null && !Array.isArray(body)
        ? { ...body, workspaceId: c.req.param("ws") }
        : body;
      return c.json(await runFunction(c.get("ctx"), input, { loadCode }));
    },
  });
  return app;
}
