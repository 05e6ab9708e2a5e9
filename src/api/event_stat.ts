import { Hono } from "hono";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { EventStatInput, getEventStat } from "../services/event_stat.ts";
import { documented, errors, ok, paramsFrom, WORKSPACE_PARAM } from "./route_docs.ts";

/**
 * `GET /api/{ws}/stat[?start=&end=&granularity=&streamId=&connectionId=&status=]`: event counts per
 * period, stream, connection and status (Jitsu's `reports/event-stat` arguments). Lists are
 * comma-separated.
 */
export function eventStatRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/stat", requireAuth);
  route(app, "/api/:ws/stat", {
    GET: documented(
      {
        tags: ["Statistics"],
        summary: "Event counts over time",
        description: "Counts of events per period, stream, connection, destination and status " +
          "(incoming, error, delivered, skipped, dropped, dead_letter), newest period first; every " +
          "argument is optional: the last 24 hours, all sources, by hour. Counts only, never events.",
        parameters: [
          WORKSPACE_PARAM,
          ...paramsFrom(EventStatInput, {
            start: "query",
            end: "query",
            granularity: "query",
            streamId: "query",
            connectionId: "query",
            status: "query",
          }),
        ],
        responses: { "200": ok("`{rows, start, end, granularity, totals}`"), ...errors("400", "401", "404") },
      },
      async (c) => {
        const q = c.req.query();
        const split = (s: string | undefined) => s === undefined ? undefined : s.split(",");
        return c.json(
          await getEventStat(c.get("ctx"), {
            workspaceId: c.req.param("ws")!,
            start: q.start,
            end: q.end,
            granularity: q.granularity,
            streamId: split(q.streamId),
            connectionId: split(q.connectionId),
            status: split(q.status),
          }),
        );
      },
    ),
  });
  return app;
}
