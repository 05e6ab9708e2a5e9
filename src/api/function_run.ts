import { Hono } from "hono";
import { readJson } from "../http/body.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import * as v from "valibot";
import { type FunctionCodeLoader, runFunction, RunFunctionInput } from "../sandbox/run_function.ts";
import { documented, errors, jsonBody, ok, WORKSPACE_PARAM } from "./route_docs.ts";

/**
 * `POST /api/{ws}/function/run {functionId?, code?, event, props?, store?}` (Jitsu console's path):
 * runs a function on a sample event and returns `{result, dropped, logs, store, error}`; saves nothing.
 */
export function functionRunRouter({ loadCode }: { loadCode?: FunctionCodeLoader } = {}) {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/function/run", requireAuth);
  route(app, "/api/:ws/function/run", {
    POST: documented(
      {
        tags: ["Functions"],
        summary: "Run a function on a sample event; saves nothing",
        parameters: [WORKSPACE_PARAM],
        requestBody: jsonBody(v.omit(RunFunctionInput, ["workspaceId"])),
        responses: {
          "200": ok("`{result, dropped, logs, store, error}`: a failing function is a 200 with `error`"),
          ...errors("400", "401", "404", "413"),
        },
      },
      async (c) => {
        const body = await readJson(c);
        const input = typeof body === "object" && body !== null && !Array.isArray(body)
          ? { ...body, workspaceId: c.req.param("ws") }
          : body;
        return c.json(await runFunction(c.get("ctx"), input, { loadCode }));
      },
    ),
  });
  return app;
}
