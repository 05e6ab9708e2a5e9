/**
 * OpenAPI descriptions of the ingest endpoints (src/api/ingest.ts). Events are Segment-shaped JSON that
 * ingest normalises rather than validates against a schema, so their schema here is written out.
 */
import type { DescribeRouteOptions } from "hono-openapi";
import { EVENT_TYPES, MAX_EVENT_BYTES } from "../ingest/normalize.ts";
import { ok, pathParam, WRITE_KEY } from "./route_docs.ts";

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
