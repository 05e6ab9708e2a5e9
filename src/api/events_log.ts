import { Hono } from "hono";
import type { Context } from "hono";
import { readEventsJson } from "../events_log/read_events.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";

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

/**
 * Live Events on Jitsu's paths: `GET /api/{ws}/log/{type}/{actorId}` (one source) and
 * `GET /api/{ws}/log/{type}` (every source), with `levels`, `start`, `end`, `search`, `limit`, `cursor`.
 */
export function eventsLogRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/log/*", requireAuth);
  route(app, "/api/:ws/log/:type", { GET: events });
  route(app, "/api/:ws/log/:type/:actorId", { GET: events });
  return app;
}
