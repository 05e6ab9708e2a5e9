/**
 * Ingest endpoints, compatible with Jitsu's and Segment's HTTP APIs so their SDKs work unchanged:
 * `POST /api/s/{type}` (browser), `POST /api/s/s2s/{type}` (server), batches at `POST /api/s/s2s/batch`,
 * and Segment's batch paths (`/v1/batch`, `/v1/b`, `/batch`, `/b`, `/v1/batch/b`). Segment's browser and
 * tracking APIs, the pixel and the browser script are in src/api/segment.ts and src/api/browser_script.ts.
 * Browser endpoints answer key and origin problems with 200 and the error in the body, as Jitsu does, so
 * a page never shows a failed request; server endpoints answer 401.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { queueIsFull } from "../ingest/enqueue.ts";
import { ingestEvents, publicHeaders } from "../ingest/ingest.ts";
import { type KeyPolicy, locateStream } from "../ingest/locate.ts";
import { type EventType, MAX_EVENT_BYTES, typeFromPath } from "../ingest/normalize.ts";
import { IngestBodyError, readIngestBody } from "../ingest/read_body.ts";
import type { KeylessMode } from "../ingest/stream_routing.ts";
import { describeRoute } from "hono-openapi";
import { BROWSER_EVENT, SEGMENT_BATCH, SEGMENT_BATCH_ALIAS, SERVER_EVENT } from "./ingest_docs.ts";
import {
  busy,
  fail,
  locateProblem,
  messageIdOf,
  preflight,
  refused,
  requestFacts,
  respond,
  withCors,
} from "./ingest_http.ts";

/** Largest batch body (decompressed); each event in it is still limited to 1 MB. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const MAX_BATCH_EVENTS = 10_000;

/** How an endpoint finds its stream and answers problems. */
export interface EndpointRules {
  policy: KeyPolicy;
  keyless: KeylessMode | null;
  /** Key problems answer 200 (browser endpoints) rather than 401. */
  browserStatus: boolean;
  /** The body's `writeKey` counts as a key (Segment's browser library puts it there). */
  keyInBody?: boolean;
}

const BROWSER: EndpointRules = { policy: "browser", keyless: "browser", browserStatus: true };
const SERVER: EndpointRules = { policy: "server", keyless: "s2s", browserStatus: false };
const SERVER_BATCH: EndpointRules = {
  policy: "server",
  keyless: null,
  browserStatus: false,
  keyInBody: true,
};
/** Segment's batch paths: a browser key (analytics.js) or a server key (Segment's server libraries). */
export const SEGMENT_KEYED: EndpointRules = {
  policy: "either",
  keyless: null,
  browserStatus: false,
  keyInBody: true,
};

/** Reads a body with a limit; an IngestBodyError becomes its answer. */
export async function readBodyOrFail(
  c: Context<AppEnv>,
  limit: number,
): Promise<{ body: unknown } | { error: Response }> {
  try {
    return { body: await readIngestBody(c.req.raw, limit) };
  } catch (e) {
    if (e instanceof IngestBodyError) return { error: fail(c, e.status, e.message) };
    throw e;
  }
}

/** Accepts one event already read: finds the stream, checks the queue, stores it durably, answers. */
export async function acceptOne(
  c: Context<AppEnv>,
  rules: EndpointRules,
  pathType: EventType | null,
  body: unknown,
): Promise<Response> {
  const deps = c.get("deps");
  const url = new URL(c.req.url);
  const located = await locateStream(deps, {
    policy: rules.policy,
    keyless: rules.keyless,
    headers: c.req.raw.headers,
    query: url.searchParams,
    host: url.host,
    body: rules.keyInBody ? body : undefined,
  });
  if (!located.ok) return refused(deps, "unauthorized", 1, locateProblem(c, rules.browserStatus, located));
  if (await queueIsFull(deps)) return refused(deps, "queue_full", 1, busy(c));
  const { results } = await ingestEvents(deps, {
    workspaceId: located.workspaceId,
    streamId: located.streamId,
    events: [body],
    pathType,
    facts: requestFacts(c, deps, located.ingestType),
    headers: publicHeaders(c.req.raw.headers),
    writeKeyMasked: located.masked,
    sizeChecked: true,
  });
  const r = results[0];
  if (!r.ok) return fail(c, 400, `Cannot accept event: ${r.error}`);
  return respond(
    c,
    200,
    r.error ? { ok: true, messageId: r.messageId, skipped: r.error } : { ok: true, messageId: r.messageId },
  );
}

async function single(c: Context<AppEnv>, rules: EndpointRules, tp: string) {
  const pathType = typeFromPath(tp);
  if (pathType === undefined) {
    return fail(
      c,
      404,
      `Unknown event type "${tp}" in the path: use page, identify, track, group, alias, screen or event`,
    );
  }
  const read = await readBodyOrFail(c, MAX_EVENT_BYTES);
  if ("error" in read) return read.error;
  return await acceptOne(c, rules, pathType, read.body);
}

/** A batch: `{batch: [...], context?, writeKey?}` or a bare array of events. */
export async function batch(c: Context<AppEnv>, rules: EndpointRules) {
  const deps = c.get("deps");
  const read = await readBodyOrFail(c, MAX_BATCH_BYTES);
  if ("error" in read) return read.error;
  const body = read.body;
  const obj = typeof body === "object" && body !== null && !Array.isArray(body)
    ? body as Record<string, unknown>
    : null;
  const events = Array.isArray(body) ? body : obj?.batch;
  if (!Array.isArray(events)) return fail(c, 400, 'Cannot accept batch: "batch" must be an array of events');
  if (events.length > MAX_BATCH_EVENTS) {
    return fail(c, 413, `Cannot accept batch: ${events.length} events, more than ${MAX_BATCH_EVENTS}`);
  }
  const url = new URL(c.req.url);
  const located = await locateStream(deps, {
    policy: rules.policy,
    keyless: rules.keyless,
    headers: c.req.raw.headers,
    query: url.searchParams,
    host: url.host,
    body: rules.keyInBody ? obj ?? undefined : undefined,
  });
  if (!located.ok) {
    return refused(deps, "unauthorized", events.length, locateProblem(c, rules.browserStatus, located));
  }
  if (await queueIsFull(deps, events.length)) return refused(deps, "queue_full", events.length, busy(c));
  const context =
    obj && typeof obj.context === "object" && obj.context !== null && !Array.isArray(obj.context)
      ? obj.context as Record<string, unknown>
      : undefined;
  const { results } = await ingestEvents(deps, {
    workspaceId: located.workspaceId,
    streamId: located.streamId,
    events,
    pathType: null,
    facts: requestFacts(c, deps, located.ingestType),
    headers: publicHeaders(c.req.raw.headers),
    writeKeyMasked: located.masked,
    batchContext: context,
  });
  const errors = results
    .map((r, i) => r.ok ? null : `Event ${i}${messageIdOf(events[i])}: ${r.error}`)
    .filter((x): x is string => x !== null);
  const okEvents = results.filter((r) => r.ok).length;
  return respond(c, 200, {
    ok: errors.length === 0,
    receivedEvents: events.length,
    okEvents,
    ...(errors.length ? { errors } : {}),
  });
}

/** Segment's batch paths: `/v1/batch` (its HTTP API), `/v1/b` (analytics.js batching) and Jitsu's aliases. */
export const SEGMENT_BATCH_PATHS = ["/v1/batch", "/v1/b", "/batch", "/b", "/v1/batch/b"];

/** The Jitsu ingest router. No bearer auth: write keys are checked per request. */
export function ingestRouter() {
  const app = new Hono<AppEnv>();
  for (const path of ["/api/s/:tp", "/api/s/s2s/:tp", ...SEGMENT_BATCH_PATHS]) app.options(path, preflight);
  app.post("/api/s/s2s/:tp", describeRoute(SERVER_EVENT), (c) => {
    const tp = c.req.param("tp");
    return withCors(c, () => tp === "batch" ? batch(c, SERVER_BATCH) : single(c, SERVER, tp));
  });
  app.post(
    "/api/s/:tp",
    describeRoute(BROWSER_EVENT),
    (c) => withCors(c, () => single(c, BROWSER, c.req.param("tp"))),
  );
  for (const path of SEGMENT_BATCH_PATHS) {
    const doc = path === "/v1/batch" ? SEGMENT_BATCH : SEGMENT_BATCH_ALIAS;
    app.post(path, describeRoute(doc), (c) => withCors(c, () => batch(c, SEGMENT_KEYED)));
  }
  return app;
}
