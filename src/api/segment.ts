/**
 * Segment's endpoints, so analytics.js and Segment's libraries work by changing only the host:
 * - `GET /v1/projects/{writeKey}/settings`: the settings analytics.js loads first (from its `cdnURL`), whose
 *   `integrations["Segment.io"]` sends events to `<PUBLIC_URL host>/v1` (`apiHost`) over PUBLIC_URL's
 *   `protocol`; Jitsu's shape, with the write key echoed as `apiKey`.
 * - `POST /v1/t|p|i|g|a|s`: analytics.js's events, one per request, `text/plain` JSON with `writeKey` in
 *   the body (`/v1/b`, its batching mode, is with the batch paths in src/api/ingest.ts).
 * - `POST /v1/track|page|identify|group|alias|screen`: Segment's HTTP tracking API, the key as
 *   `Authorization: Basic base64(writeKey:)`.
 * Any key kind works; a browser key's events are browser events (origin rules apply).
 */
import { type Context, Hono } from "hono";
import { describeRoute } from "hono-openapi";
import type { AppEnv } from "../http/env.ts";
import { MAX_EVENT_BYTES, typeFromPath } from "../ingest/normalize.ts";
import { acceptOne, type EndpointRules, readBodyOrFail } from "./ingest.ts";
import { preflight, withCors } from "./ingest_http.ts";
import { SEGMENT_SETTINGS, SEGMENT_SHORT, SEGMENT_TRACKING } from "./ingest_docs.ts";

const SHORT: EndpointRules = { policy: "either", keyless: null, browserStatus: true, keyInBody: true };
const TRACKING: EndpointRules = { policy: "either", keyless: null, browserStatus: false, keyInBody: true };

/** analytics.js's settings for `writeKey`: Jitsu's document, pointed at this server. */
export function segmentSettings(publicUrl: string, writeKey: string) {
  const url = new URL(publicUrl);
  return {
    integrations: {
      "Segment.io": {
        apiKey: writeKey,
        apiHost: `${url.host}/v1`,
        protocol: url.protocol.replace(":", ""),
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
        versionSettings: { version: "4.4.7", componentTypes: ["browser"] },
      },
    },
    plan: {
      track: { __default: { enabled: true, integrations: {} } },
      identify: { __default: { enabled: true } },
      group: { __default: { enabled: true } },
    },
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}

function settings(c: Context<AppEnv>) {
  const deps = c.get("deps");
  const body = JSON.stringify(segmentSettings(deps.config.publicUrl, c.req.param("writeKey") ?? ""));
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "application/json",
      "access-control-allow-origin": c.req.header("origin") ?? "*",
      // Jitsu caches a day; an hour keeps a changed PUBLIC_URL from lingering in browsers.
      "cache-control": "public, max-age=3600",
      "x-request-id": c.get("requestId") ?? "",
    },
  });
}

async function one(c: Context<AppEnv>, rules: EndpointRules, tp: string) {
  const pathType = typeFromPath(tp);
  const read = await readBodyOrFail(c, MAX_EVENT_BYTES);
  if ("error" in read) return read.error;
  return await acceptOne(c, rules, pathType ?? null, read.body);
}

const SHORT_TYPES = ["t", "p", "i", "g", "a", "s"];
const TRACKING_TYPES = ["track", "page", "identify", "group", "alias", "screen"];
const SETTINGS_PATHS = ["/v1/projects/:writeKey/settings", "/projects/:writeKey/settings"];

/** Segment's settings, browser and tracking endpoints. */
export function segmentRouter() {
  const app = new Hono<AppEnv>();
  for (const path of SETTINGS_PATHS) {
    app.options(path, preflight);
    app.get(path, describeRoute(SEGMENT_SETTINGS), settings);
  }
  // One route per path (not a pattern): the OpenAPI document lists each path analytics.js and Segment's
  // libraries call.
  for (const tp of [...SHORT_TYPES, ...TRACKING_TYPES]) {
    const short = tp.length === 1;
    app.options(`/v1/${tp}`, preflight);
    app.post(
      `/v1/${tp}`,
      describeRoute(short ? SEGMENT_SHORT : SEGMENT_TRACKING),
      (c) => withCors(c, () => one(c, short ? SHORT : TRACKING, tp)),
    );
  }
  return app;
}
