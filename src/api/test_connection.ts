import { Hono } from "hono";
import { requireAuth } from "../http/auth.ts";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { testDestinationConnection } from "../services/test_connection.ts";
import { documented, errors, jsonBody, ok, schemaRef, WORKSPACE_PARAM } from "./route_docs.ts";

/**
 * `POST /api/{ws}/config/destination/test`: the body is a destination's fields (as for create, Jitsu's
 * shape); with `id` the stored destination fills what is missing and masked secrets. Answers 200
 * `{ok, destinationType, step?, error?}`. Mount before configRouter: its `/config/:type/:id` would
 * otherwise answer this path with 405.
 */
export function destinationTestRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/config/destination/test", requireAuth);
  route(app, "/api/:ws/config/destination/test", {
    POST: documented(
      {
        tags: ["Configuration"],
        summary: "Check that a destination's credentials work (connects, writes nothing)",
        description: "The body is a destination's fields, as for create. With `id`, the stored " +
          "destination fills what is missing and the masked secrets.",
        parameters: [WORKSPACE_PARAM],
        requestBody: jsonBody(schemaRef("Destination")),
        responses: {
          "200": ok("`{ok, destinationType, step?, error?}`: a failed check is a 200 with `ok: false`"),
          ...errors("400", "401", "404"),
        },
      },
      async (c) => {
        const body = await readJson(c);
        const input = typeof body === "object" && body !== null && !Array.isArray(body)
          ? (({ id, ...config }) => ({
            workspaceId: c.req.param("ws"),
            ...(id !== undefined ? { id } : {}),
            ...(Object.keys(config).length ? { config } : {}),
          }))(body as Record<string, unknown>)
          : { workspaceId: c.req.param("ws"), config: body };
        return c.json(await testDestinationConnection(c.get("ctx"), input));
      },
    ),
  });
  return app;
}
