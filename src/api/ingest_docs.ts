/**
 * OpenAPI descriptions of the ingest endpoints (src/api/ingest.ts). Events are Segment-shaped JSON that
 * ingest normalises rather than validates against a schema, so their schema here is written out.
 */
import type { DescribeRouteOptions } from "hono-openapi";
import { EVENT_TYPES, MAX_EVENT_BYTES } from "../ingest/normalize.ts";
import { ok, pathParam, PUBLIC, WRITE_KEY } from "./route_docs.ts";

const EVENT = {
  type: "object",
  description: "A Segment/Jitsu event; `type` comes from the path unless the path says `e` or `event`. " +
    `At most ${MAX_EVENT_BYTES / 1024 / 1024} MB.`,
  properties: {
    type: { enum: [...EVENT_TYPES] },
    messageId: { type: "string", description: "Deduplication id; generated when missing" },
    event: { type: "string", description: "The track event's name" },
    userId: { type: ["string", "null"] },
    anonymousId: { type: ["string", "null"] },
    timestamp: { type: "string", format: "date-time" },
    properties: { type: "object" },
    traits: { type: "object" },
    context: { type: "object" },
  },
  additionalProperties: true,
} as const;

const SINGLE_RESULT = {
  type: "object",
  properties: {
    ok: { type: "boolean" },
    messageId: { type: "string" },
    skipped: { type: "string", description: "Why a valid event was not queued (e.g. a duplicate)" },
    error: { type: "string" },
  },
  required: ["ok"],
} as const;

const BATCH_RESULT = {
  type: "object",
  properties: {
    ok: { type: "boolean" },
    receivedEvents: { type: "integer" },
    okEvents: { type: "integer" },
    errors: { type: "array", items: { type: "string" } },
  },
  required: ["ok"],
} as const;

const FAILURE = ok("`{ok: false, error}`", SINGLE_RESULT);
const FAILURES = {
  "400": FAILURE,
  "413": FAILURE,
  "503": { ...FAILURE, description: "The queue is full: retry after `Retry-After` seconds" },
};

const TYPE_PARAM = pathParam(
  "tp",
  "Event type: page, identify, track, group, alias, screen (or p, i, t, g, a, s), or e/event for the type in the body",
);

function jsonBody(schema: Record<string, unknown>) {
  return { required: true, content: { "application/json": { schema } } };
}

/** `POST /api/s/{type}`: one event from a browser. */
export const BROWSER_EVENT: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: "Send one event from a browser (Jitsu's browser endpoint; CORS from any origin)",
  description: "Needs a browser write key. Key problems answer 200 with `ok: false`, as Jitsu does, so a " +
    "page never shows a failed request.",
  security: WRITE_KEY,
  parameters: [TYPE_PARAM],
  requestBody: jsonBody(EVENT),
  responses: { "200": ok("`{ok, messageId}`, or `{ok: false, error}`", SINGLE_RESULT), ...FAILURES },
};

/** `POST /api/s/s2s/{type}`: one event from a server, or a batch at `/api/s/s2s/batch`. */
export const SERVER_EVENT: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: "Send one event from a server (Jitsu's s2s endpoint); `batch` as the type takes a batch",
  description: "Needs a server write key; a missing or wrong key is a 401.",
  security: WRITE_KEY,
  parameters: [TYPE_PARAM],
  requestBody: jsonBody({
    oneOf: [EVENT, { type: "object", properties: { batch: { type: "array", items: EVENT } } }],
  }),
  responses: {
    "200": ok("`{ok, messageId}` (a batch: `{ok, receivedEvents, okEvents, errors?}`)", {
      oneOf: [SINGLE_RESULT, BATCH_RESULT],
    }),
    "401": ok("Missing or invalid write key", SINGLE_RESULT),
    ...FAILURES,
  },
};

/** `POST /v1/batch` and `/v1/b`: Segment's batch API. */
export const SEGMENT_BATCH: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: "Send a batch of events (Segment's HTTP API), up to 10,000 events and 16 MB",
  security: WRITE_KEY,
  requestBody: jsonBody({
    type: "object",
    properties: {
      batch: { type: "array", items: EVENT },
      context: { type: "object", description: "Merged into every event's context" },
      writeKey: { type: "string", description: "The write key, when not in a header" },
    },
    required: ["batch"],
  }),
  responses: {
    "200": ok("`{ok, receivedEvents, okEvents, errors?}`", BATCH_RESULT),
    "401": ok("Missing or invalid write key", SINGLE_RESULT),
    ...FAILURES,
  },
};

/** Segment's batch paths besides `/v1/batch`. */
export const SEGMENT_BATCH_ALIAS: DescribeRouteOptions = {
  ...SEGMENT_BATCH,
  summary: "Send a batch of events: an alias of /v1/batch (analytics.js's batching mode posts to /v1/b)",
  description: "Takes a browser key (events are then browser events) or a server key.",
};

/** `GET /v1/projects/{writeKey}/settings`: analytics.js's settings. */
export const SEGMENT_SETTINGS: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: "Segment settings for analytics.js (point its cdnURL at this server)",
  description:
    'Answers for any key, as Jitsu does: `integrations["Segment.io"]` carries `apiKey` (the key), ' +
    "`apiHost` (PUBLIC_URL's host + `/v1`) and `protocol` (PUBLIC_URL's), so analytics.js sends its events " +
    "to `/v1/t`, `/v1/p`, ... here. The key in the path is never logged.",
  security: PUBLIC,
  parameters: [pathParam("writeKey", "The stream's write key, as analytics.js was given it")],
  responses: { "200": ok("Settings in Segment's shape") },
};

/** `POST /v1/t|p|i|g|a|s`: analytics.js's single events. */
export const SEGMENT_SHORT: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: "One event from analytics.js (t=track, p=page, i=identify, g=group, a=alias, s=screen)",
  description: "The body is JSON sent as `text/plain` with the write key as `writeKey` in it (never " +
    "stored). A browser key's events are browser events: the stream's authorizedJavaScriptDomains apply. " +
    "Key and origin problems answer 200 with `ok: false` so the library does not retry.",
  security: PUBLIC,
  requestBody: {
    required: true,
    content: {
      "text/plain": jsonBody(EVENT).content["application/json"],
      ...jsonBody(EVENT).content,
    },
  },
  responses: { "200": ok("`{ok, messageId}`, or `{ok: false, error}`", SINGLE_RESULT), ...FAILURES },
};

/** `POST /v1/track|page|...`: Segment's HTTP tracking API. */
export const SEGMENT_TRACKING: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: "One event through Segment's HTTP tracking API (/v1/track, /v1/page, /v1/identify, ...)",
  description:
    "The key as `Authorization: Basic base64(writeKey:)`, as Segment's API takes it (or any other " +
    "place a write key goes); a missing or wrong key is a 401.",
  security: WRITE_KEY,
  requestBody: jsonBody(EVENT),
  responses: {
    "200": ok("`{ok, messageId}`", SINGLE_RESULT),
    "401": ok("Missing or invalid write key", SINGLE_RESULT),
    ...FAILURES,
  },
};

/** `GET /api/px/{type}`: Jitsu's tracking pixel. */
export const PIXEL: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: "Send one event as a tracking pixel (Jitsu's); answers a 1x1 GIF",
  description:
    "The event is `data` (base64 JSON) plus any other query parameter as a field (`a.b=x` nests). " +
    "The key in `?writekey=` or a header, or none for a non-strict stream found by the request's host or " +
    "being the only stream. `process_headers=true` fills anonymousId and userId from Jitsu's cookies and " +
    "context.page from the Referer. A refused event answers 200 with `{ok: false, error}`.",
  security: PUBLIC,
  parameters: [TYPE_PARAM],
  responses: {
    "200": {
      description: "A 1x1 GIF, or `{ok: false, error}`",
      content: {
        "image/gif": { schema: { type: "string", format: "binary" } },
        ...ok("", SINGLE_RESULT).content,
      },
    },
  },
};

/** `GET /p.js` and `/lib.js`: the browser script. */
export const BROWSER_SCRIPT: DescribeRouteOptions = {
  tags: ["Ingest"],
  summary: 'Jitsu\'s browser script: <script async src="<PUBLIC_URL>/p.js" data-write-key="...">',
  description:
    "Built from the pinned @jitsu/js package. Reads the tag's data-* attributes (data-write-key, " +
    "data-host (default: the script's origin), data-namespace (default jitsu), data-init-only, data-onload, " +
    "data-debug, ...), runs window.jitsuQ callbacks and sends a page view unless init-only. ETag (304 on " +
    "If-None-Match), brotli or gzip when accepted, cached an hour.",
  security: PUBLIC,
  responses: {
    "200": {
      description: "The script",
      content: { "application/javascript": { schema: { type: "string" } } },
    },
    "304": { description: "Not modified" },
  },
};
