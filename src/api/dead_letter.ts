import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requireAuth } from "../http/auth.ts";
import { MAX_JSON_BODY, readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { listDeadLetter, replayDeadLetter } from "../pipeline/dead_letter.ts";

async function list(c: Context<AppEnv>) {
  const limit = c.req.query("limit");
  return c.json(
    await listDeadLetter(c.get("ctx"), {
      workspaceId: c.req.param("ws"),
      connectionId: c.req.param("actorId") ?? c.req.query("connectionId") ?? null,
      ...(limit !== undefined ? { limit: /^\d{1,9}$/.test(limit) ? Number(limit) : limit } : {}),
    }),
  );
}

/**
 * Dead letter: `GET /api/{ws}/dead-letter[/{connectionId}]` (Jitsu's path) lists, newest first;
 * `POST /api/{ws}/dead-letter/replay {connectionId?, ids?}` puts them back in the queue.
 */
export function deadLetterRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/dead-letter", requireAuth);
  app.use("/api/:ws/dead-letter/*", bodyLimit({ maxSize: MAX_JSON_BODY }), requireAuth);
  route(app, "/api/:ws/dead-letter", { GET: list });
  route(app, "/api/:ws/dead-letter/replay", {
    POST: async (c) => {
      const body = await readJson(c);
      const input = typeof body === "object" && body !== null && !Array.isArray(body)
        ? { ...body, workspaceId: c.req.param("ws") }
        : body;
      return c.json(await replayDeadLetter(c.get("ctx"), input));
    },
  });
  route(app, "/api/:ws/dead-letter/:actorId", { GET: list });
  return app;
}
