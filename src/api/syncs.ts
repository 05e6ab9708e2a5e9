/**
 * Service syncs on Jitsu's paths (`/api/{ws}/sources/...`): spec, check, discover, run, cancel,
 * tasks, logs, state and stat. Query parameters as Jitsu names them (`syncId`, `package`, `version`,
 * `taskId`, `fullSync`); `connectionId` and `serviceId` work too. The same services as the MCP tools.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { Ctx } from "../deps.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { checkSourceCredentials, discoverStreams, getConnectorSpec } from "../sync/source.ts";
import {
  cancelSync,
  getSyncLogs,
  getSyncStat,
  getSyncState,
  listSyncTasks,
  resetSyncState,
  runSync,
} from "../sync/syncs.ts";
import { documented, errors, ok, queryParam, WORKSPACE_PARAM } from "./route_docs.ts";

const TAGS = ["Syncs"];
const SYNC_ID = queryParam(
  "syncId",
  { type: "string" },
  "The sync connection (also accepted as connectionId)",
);
const TASK_ID = queryParam("taskId", { type: "string" }, "One task");
const SERVICE_ID = queryParam("serviceId", { type: "string" }, "The service (source connector)");

type Service = (ctx: Ctx, input: unknown) => Promise<unknown>;

/** The query as the service's input: numbers stay numbers, everything else a string. */
function input(c: Context<AppEnv>, numbers: string[] = []): Record<string, unknown> {
  const q: Record<string, unknown> = { ...c.req.query(), workspaceId: c.req.param("ws") };
  for (const k of numbers) {
    if (typeof q[k] === "string" && /^\d{1,9}$/.test(q[k] as string)) q[k] = Number(q[k]);
  }
  return q;
}

function handler(fn: Service, numbers: string[] = []) {
  return async function syncRoute(c: Context<AppEnv>) {
    return c.json(await fn(c.get("ctx"), input(c, numbers)));
  };
}

function docs(
  summary: string,
  params: ReturnType<typeof queryParam>[],
  statuses: ("400" | "401" | "403" | "404" | "409")[],
) {
  return {
    tags: TAGS,
    summary,
    parameters: [WORKSPACE_PARAM, ...params],
    responses: { "200": ok(summary), ...errors(...statuses) },
  };
}

export function syncsRouter() {
  const app = new Hono<AppEnv>();
  app.use("/api/:ws/sources/*", requireAuth);
  route(app, "/api/:ws/sources/spec", {
    GET: documented(
      docs("A connector's spec (configuration schema)", [
        queryParam("package", { type: "string" }, "A file in SYNC_CONNECTORS_DIR or a Docker image"),
        queryParam("version", { type: "string" }, "Image tag (default latest)"),
      ], ["400", "401", "404"]),
      handler(getConnectorSpec),
    ),
  });
  const check = documented(
    docs("Check a service's credentials", [SERVICE_ID], ["400", "401", "403", "404"]),
    handler(checkSourceCredentials),
  );
  route(app, "/api/:ws/sources/check", { GET: check, POST: check });
  route(app, "/api/:ws/sources/discover", {
    GET: documented(
      docs("Discover a service's streams", [SERVICE_ID], ["400", "401", "403", "404"]),
      handler(discoverStreams),
    ),
  });
  const run = documented(
    docs("Run a sync now; answers the task id", [
      SYNC_ID,
      queryParam("fullSync", { type: "boolean" }, "Forget the saved state first"),
    ], ["400", "401", "403", "404", "409"]),
    handler(runSync),
  );
  route(app, "/api/:ws/sources/run", { GET: run, POST: run });
  route(app, "/api/:ws/sources/cancel", {
    POST: documented(
      docs("Cancel a sync's running task", [SYNC_ID, TASK_ID], ["400", "401", "403", "404"]),
      handler(cancelSync),
    ),
  });
  route(app, "/api/:ws/sources/tasks", {
    GET: documented(
      docs("A sync's tasks, newest first", [
        SYNC_ID,
        TASK_ID,
        queryParam("status", { type: "string" }, "Only this status"),
      ], ["400", "401", "404"]),
      handler(listSyncTasks, ["limit"]),
    ),
  });
  route(app, "/api/:ws/sources/logs", {
    GET: documented(
      docs("A task's log lines (the latest task by default)", [SYNC_ID, TASK_ID], ["400", "401", "404"]),
      handler(getSyncLogs),
    ),
  });
  route(app, "/api/:ws/sources/state", {
    GET: documented(
      docs("A sync's saved state per stream", [SYNC_ID], ["400", "401", "404"]),
      handler(getSyncState),
    ),
    DELETE: documented(
      docs("Forget a sync's state (every stream, or one)", [
        SYNC_ID,
        queryParam("stream", { type: "string" }, "Only this stream"),
      ], ["400", "401", "403", "404", "409"]),
      handler(resetSyncState),
    ),
  });
  route(app, "/api/:ws/sources/stat", {
    GET: documented(
      docs("Task counts per status for the workspace's syncs", [
        SYNC_ID,
        queryParam("days", { type: "integer" }, "Window in days (default 30)"),
      ], ["400", "401", "404"]),
      handler(getSyncStat, ["days"]),
    ),
  });
  return app;
}
