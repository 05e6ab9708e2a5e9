/**
 * Jitsu's tracking pixel, `GET /api/px/{type}`: the event travels in the query (`data` = base64 JSON, and
 * any other parameter sets that field, `a.b=x` a nested one), with the write key in `?writekey=` or a
 * header, or none for a non-strict stream found by host (src/ingest/stream_routing.ts). With
 * `process_headers=true`, `anonymousId` and `userId` come from Jitsu's cookies when missing and
 * `context.page` from the Referer. An accepted event answers a 1x1 GIF, never cached; a refused one
 * answers 200 with the error, as Jitsu does.
 */
import { type Context, Hono } from "hono";
import { describeRoute } from "hono-openapi";
import type { AppEnv } from "../http/env.ts";
import { MAX_EVENT_BYTES, typeFromPath } from "../ingest/normalize.ts";
import { acceptOne, type EndpointRules } from "./ingest.ts";
import { fail, withCors } from "./ingest_http.ts";
import { PIXEL } from "./ingest_docs.ts";

const RULES: EndpointRules = { policy: "either", keyless: "pixel", browserStatus: true };

/** A transparent 1x1 GIF. */
export const EMPTY_GIF = Uint8Array.from(
  atob("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"),
  (ch) => ch.charCodeAt(0),
);

const RESERVED = new Set(["data", "cookie_domain", "process_headers", "writekey", "writeKey"]);

function setPath(into: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split(".");
  let at = into;
  for (const k of keys.slice(0, -1)) {
    const next = at[k];
    if (typeof next !== "object" || next === null || Array.isArray(next)) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[keys[keys.length - 1]] = value;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

/** The event a pixel request carries; a string is the error to answer. */
export function pixelEvent(
  query: URLSearchParams,
  request: { cookie?: string; referer?: string },
  type: string,
): Record<string, unknown> | string {
  let event: Record<string, unknown> = {};
  const data = query.get("data");
  if (data) {
    if (data.length > MAX_EVENT_BYTES * 1.4) return `"data" is longer than ${MAX_EVENT_BYTES} bytes of JSON`;
    let parsed: unknown;
    try {
      const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0));
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return `Cannot decode the event in "data" (base64 JSON): ${(e as Error).message}`;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return `"data" must hold a JSON object`;
    }
    event = parsed as Record<string, unknown>;
  }
  for (const key of new Set(query.keys())) {
    if (RESERVED.has(key)) continue;
    const values = query.getAll(key);
    setPath(event, key, values.length === 1 ? values[0] : values);
  }
  if (/^(1|true|yes)$/i.test(query.get("process_headers") ?? "")) {
    event.anonymousId ??= cookie(request.cookie, "__eventn_id");
    event.userId ??= cookie(request.cookie, "__eventn_uid");
    if (event.anonymousId === undefined) delete event.anonymousId;
    if (event.userId === undefined) delete event.userId;
    const referer = request.referer ? URL.parse(request.referer) : null;
    if (referer) {
      const context =
        (typeof event.context === "object" && event.context !== null ? event.context : {}) as Record<
          string,
          unknown
        >;
      const page = { url: referer.href, path: referer.pathname, search: referer.search, host: referer.host };
      context.page = { ...page, ...(context.page as Record<string, unknown> | undefined) };
      event.context = context;
      if (type === "page" || type === "p") {
        event.properties = { ...page, ...(event.properties as Record<string, unknown> | undefined) };
      }
    }
  }
  return event;
}

async function pixel(c: Context<AppEnv>) {
  const tp = c.req.param("tp") ?? "";
  const pathType = typeFromPath(tp);
  if (pathType === undefined) {
    return fail(
      c,
      404,
      `Unknown event type "${tp}" in the path: use page, identify, track, group, alias, screen or event`,
    );
  }
  const query = new URL(c.req.url).searchParams;
  const event = pixelEvent(query, { cookie: c.req.header("cookie"), referer: c.req.header("referer") }, tp);
  if (typeof event === "string") return fail(c, 200, event);
  const answer = await acceptOne(c, RULES, pathType, event);
  if (answer.status !== 200) return answer;
  const result = await answer.clone().json() as { ok: boolean };
  if (!result.ok) return answer;
  return new Response(EMPTY_GIF, {
    status: 200,
    headers: {
      "content-type": "image/gif",
      "cache-control": "no-cache, no-store, must-revalidate",
      pragma: "no-cache",
      expires: "0",
      "x-request-id": c.get("requestId") ?? "",
    },
  });
}

/** `GET /api/px/{type}`. */
export function pixelRouter() {
  const app = new Hono<AppEnv>();
  app.get("/api/px/:tp", describeRoute(PIXEL), (c) => withCors(c, () => pixel(c)));
  return app;
}
