import { Hono } from "hono";
import type { Context } from "hono";
import { requireAuth } from "../http/auth.ts";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import * as v from "valibot";
import { listDeadLetter, replayDeadLetter, ReplayDeadLetterInput } from "../pipeline/dead_letter.ts";
import { documented, errors, jsonBody, ok, pathParam, queryParam, WORKSPACE_PARAM } from "./route_docs.ts";

const TAGS = ["Dead letter"];
const LIMIT = queryParam(
  "limit",
  { type: "integer", minimum: 1, maximum: 1000 },
  "At most this many (default 100)",
);

function listDocs(byPath: boolean) {
  return {
    tags: TAGS,
    summary: "Events that failed every retry, newest first",
    parameters: [
      WORKSPACE_PARAM,
      byPath
        ? pathParam("actorId", "Only this connection")
        : queryParam("connectionId", { type: "string" }, "Only this connection"),
      LIMIT,
    ],
    responses: { "200": ok("The dead-lettered events"), ...errors("400", "401", "404") },
  };
}

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
  app.use("/api/:ws/dead-letter/*", requireAuth);
  route(app, "/api/:ws/dead-letter", { GET: documented(listDocs(false), list) });
  route(app, "/api/:ws/dead-letter/replay", {
    POST: documented(
      {
        tags: TAGS,
        summary: "Put dead-lettered events back in the queue (all, one connection's, or by id)",
        parameters: [WORKSPACE_PARAM],
        requestBody: jsonBody(v.omit(ReplayDeadLetterInput, ["workspaceId"])),
        responses: { "200": ok("How many were replayed"), ...errors("400", "401", "403", "404") },
      },
      async (c) => {
        const body = await readJson(c);
        const input = typeof body === "object" && body !== null && !Array.isArray(body)
          ? { ...body, workspaceId: c.req.param("ws") }
          : body;
        return c.json(await replayDeadLetter(c.get("ctx"), input));
      },
    ),
  });
  route(app, "/api/:ws/dead-letter/:actorId", { GET: documented(listDocs(true), list) });
  return app;
}
