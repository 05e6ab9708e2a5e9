import { Hono } from "hono";
import type { Context } from "hono";
import { ReadEventsInput, readEventsJson } from "../events_log/read_events.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { documented, errors, ok, paramsFrom, WORKSPACE_PARAM } from "./route_docs.ts";

// Query strings are text; whole numbers become numbers so validation reports the same messages as the
// MCP tool, and anything else is passed as is to be rejected there ("limit: must be a number").
function numberOrText(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^\d{1,9}$/.test(value) ? Number(value) : value;
}

// `true`/`false` (and 1/0) become booleans; anything else is passed on to be rejected by validation.
function booleanOrText(value: string | undefined): boolean | string | undefined {
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return value;
}

async function events(c: Context<AppEnv>) {
  const q = c.req.query();
  const page = await readEventsJson(c.get("ctx"), {
    workspaceId: c.req.param("ws"),
    type: c.req.param("type"),
    source: c.req.param("actorId"),
    levels: q.levels,
    errorsOnly: booleanOrText(q.errorsOnly),
    start: q.start,
    end: q.end,
    search: q.search,
    limit: numberOrText(q.limit),
    cursor: q.cursor,
  });
  // Jitsu's (pre-NDJSON) body, a JSON array; the next page is a header so the body stays Jitsu's shape.
  if (page.nextCursor) c.header("X-Next-Cursor", page.nextCursor);
  c.header("Content-Type", "application/json; charset=UTF-8");
  return c.body(page.json);
}

const QUERY = Object.fromEntries(
  ["levels", "errorsOnly", "start", "end", "search", "limit", "cursor"].map((q) => [q, "query" as const]),
);

/** The description of both routes; `actor`: the one with a source in the path. */
function liveEventsDocs(actor: boolean) {
  return {
    tags: ["Live Events"],
    summary: actor
      ? "Recent events of one source, newest first"
      : "Recent events of every source, newest first",
    description: "Jitsu's Live Events: a JSON array of `{id, date, content}`; the next page's cursor is " +
      "in the `X-Next-Cursor` header.",
    parameters: [
      WORKSPACE_PARAM,
      ...paramsFrom(
        ReadEventsInput,
        actor ? { type: "path", actorId: ["path", "source"] } : { type: "path" },
      ),
      ...paramsFrom(ReadEventsInput, QUERY),
    ],
    responses: {
      "200": {
        ...ok("Events, newest first", { type: "array", items: { type: "object" } }),
        headers: {
          "X-Next-Cursor": {
            description: "Pass as `cursor` for older events",
            schema: { type: "string" as const },
          },
        },
      },
      ...errors("400", "401", "404"),
    },
  };
}

/**
 * Live Events on Jitsu's paths: `GET /api/{ws}/log/{type}/{actorId}` (one source) and
 * `GET /api/{ws}/log/{type}` (every source), with `levels`, `start`, `end`, `search`, `limit`, `cursor`.
 */
export function eventsLogRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/log/*", requireAuth);
  route(app, "/api/:ws/log/:type", { GET: documented(liveEventsDocs(false), events) });
  route(app, "/api/:ws/log/:type/:actorId", { GET: documented(liveEventsDocs(true), events) });
  return app;
}
