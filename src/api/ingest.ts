/**
 * Ingest endpoints, compatible with Jitsu's and Segment's HTTP APIs so their SDKs work unchanged:
 * `POST /api/s/{type}` (browser), `POST /api/s/s2s/{type}` (server), batches at `POST /api/s/s2s/batch`
 * and Segment's `POST /v1/batch` (also `/v1/b`). Browser endpoints answer key problems with 200 and the
 * error in the body, as Jitsu does, so a page never shows a failed request; server endpoints answer 401.
 */
import { type Context, Hono } from "hono";
import type { Deps } from "../deps.ts";
import { requestIp } from "../http/client_ip.ts";
import type { AppEnv } from "../http/env.ts";
import { queueIsFull } from "../ingest/enqueue.ts";
import { ingestEvents, publicHeaders } from "../ingest/ingest.ts";
import { MAX_EVENT_BYTES, typeFromPath } from "../ingest/normalize.ts";
import { IngestBodyError, readIngestBody } from "../ingest/read_body.ts";
import { unavailableErrorFromDatabase } from "../store/db_errors.ts";
import { findWriteKey, maskWriteKey, resolveWriteKey } from "../ingest/write_key.ts";
import { describeRoute } from "hono-openapi";
import { BROWSER_EVENT, SEGMENT_BATCH, SERVER_EVENT } from "./ingest_docs.ts";

/** Largest batch body (decompressed); each event in it is still limited to 1 MB. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const MAX_BATCH_EVENTS = 10_000;
const RETRY_AFTER_SECONDS = 5;

const CORS_HEADERS =
  "x-enable-debug, x-write-key, authorization, content-type, x-ip-policy, cache-control, x-jitsu-custom";

type Kind = "browser" | "s2s";

// Jitsu's CORS: echo the Origin with credentials, so the browser SDK works from any site.
function corsHeaders(c: Context<AppEnv>, into: Record<string, string>): Record<string, string> {
  const origin = c.req.header("origin");
  into["access-control-allow-origin"] = origin ?? "*";
  if (origin) {
    into["access-control-allow-credentials"] = "true";
    into["vary"] = "Origin";
  }
  return into;
}

/** CORS headers on the context, for answers that Hono builds (preflights, app.onError's 500). */
function prepareCors(c: Context<AppEnv>) {
  for (const [k, v] of Object.entries(corsHeaders(c, {}))) c.header(k, v);
}

/**
 * An ingest answer: JSON with CORS and the request id, built as one Response with all its headers.
 * Not c.json() after c.header(): headers prepared on the context make Hono build a Headers object per
 * response that Deno then copies through its slow Headers iterator (docs/performance.md: a single event's
 * CPU). requestLog finds X-Request-Id already set.
 */
function respond(c: Context<AppEnv>, status: number, payload: unknown, extra?: Record<string, string>) {
  const headers = corsHeaders(c, { "content-type": "application/json" });
  const id = c.get("requestId");
  if (id) headers["x-request-id"] = id;
  if (extra) Object.assign(headers, extra);
  return new Response(JSON.stringify(payload), { status, headers });
}

/**
 * Runs an ingest handler. The database being away is a 503 with Retry-After in ingest's own shape (SDKs
 * retry on it, as on a full queue); any other thrown error's 500 (app.onError) gets the CORS headers too.
 */
async function withCors(c: Context<AppEnv>, handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (e) {
    const away = unavailableErrorFromDatabase(e);
    if (away) {
      return fail(c, 503, away.message, { "retry-after": String(away.retryAfterSeconds) });
    }
    prepareCors(c);
    throw e;
  }
}

function preflight(c: Context<AppEnv>) {
  prepareCors(c);
  c.header("Access-Control-Allow-Methods", "POST, OPTIONS");
  c.header("Access-Control-Allow-Headers", CORS_HEADERS);
  c.header("Access-Control-Max-Age", "86400");
  return c.body(null, 204);
}

function fail(c: Context<AppEnv>, status: number, error: string, extra?: Record<string, string>) {
  return respond(c, status, { ok: false, error }, extra);
}

/** A key problem: 200 on browser endpoints (Jitsu), 401 on server ones. */
function keyProblem(c: Context<AppEnv>, kind: Kind, error: string) {
  if (kind === "browser") return fail(c, 200, error);
  return fail(c, 401, error, { "www-authenticate": 'Basic realm="sluice ingest"' });
}

const KEY_HELP = "send the stream's write key as Basic auth user name, X-Write-Key or ?writekey=";

async function authorize(c: Context<AppEnv>, deps: Deps, kind: Kind, body?: unknown) {
  const found = findWriteKey(c.req.raw.headers, new URL(c.req.url).searchParams, body);
  if (!found) return { error: keyProblem(c, kind, `Missing write key: ${KEY_HELP}`) };
  const key = await resolveWriteKey(deps, found.key);
  if (!key) {
    return {
      error: keyProblem(
        c,
        kind,
        `Invalid write key ${maskWriteKey(found.key)} (from ${found.from}): unknown key or wrong secret`,
      ),
    };
  }
  const want = kind === "browser" ? "browser" : "server";
  if (key.kind !== want) {
    const hint = kind === "browser"
      ? "server keys are for /api/s/s2s/... and /v1/batch"
      : "browser keys are for /api/s/{type}; use one of the stream's server keys";
    return { error: keyProblem(c, kind, `Write key ${key.keyId} is a ${key.kind} key: ${hint}`) };
  }
  return { key, masked: maskWriteKey(found.key) };
}

function facts(c: Context<AppEnv>, deps: Deps, kind: Kind) {
  return {
    ingestType: kind,
    ip: requestIp(c),
    userAgent: c.req.header("user-agent") ?? null,
    acceptLanguage: c.req.header("accept-language") ?? null,
    now: deps.clock.now(),
  };
}

/** Counts `n` events refused before ingest saw them, and answers `res`. */
function refused(deps: Deps, result: "unauthorized" | "queue_full", n: number, res: Response): Response {
  deps.metrics.inc("sluice_ingest_events_total", { result }, n);
  return res;
}

function busy(c: Context<AppEnv>) {
  return fail(c, 503, `The event queue is full: try again in ${RETRY_AFTER_SECONDS} seconds`, {
    "retry-after": String(RETRY_AFTER_SECONDS),
  });
}

async function single(c: Context<AppEnv>, kind: Kind, tp: string) {
  const deps = c.get("deps");
  const pathType = typeFromPath(tp);
  if (pathType === undefined) {
    return fail(
      c,
      404,
      `Unknown event type "${tp}" in the path: use page, identify, track, group, alias, screen or event`,
    );
  }
  let body: unknown;
  try {
    body = await readIngestBody(c.req.raw, MAX_EVENT_BYTES);
  } catch (e) {
    if (e instanceof IngestBodyError) return fail(c, e.status, e.message);
    throw e;
  }
  const auth = await authorize(c, deps, kind);
  if (auth.error) return refused(deps, "unauthorized", 1, auth.error);
  if (await queueIsFull(deps)) return refused(deps, "queue_full", 1, busy(c));
  const { results } = await ingestEvents(deps, {
    workspaceId: auth.key.workspaceId,
    streamId: auth.key.streamId,
    events: [body],
    pathType,
    facts: facts(c, deps, kind),
    headers: publicHeaders(c.req.raw.headers),
    writeKeyMasked: auth.masked,
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

async function batch(c: Context<AppEnv>, kind: Kind) {
  const deps = c.get("deps");
  let body: unknown;
  try {
    body = await readIngestBody(c.req.raw, MAX_BATCH_BYTES);
  } catch (e) {
    if (e instanceof IngestBodyError) return fail(c, e.status, e.message);
    throw e;
  }
  const obj = typeof body === "object" && body !== null && !Array.isArray(body)
    ? body as Record<string, unknown>
    : null;
  const events = Array.isArray(body) ? body : obj?.batch;
  if (!Array.isArray(events)) return fail(c, 400, 'Cannot accept batch: "batch" must be an array of events');
  if (events.length > MAX_BATCH_EVENTS) {
    return fail(c, 413, `Cannot accept batch: ${events.length} events, more than ${MAX_BATCH_EVENTS}`);
  }
  const auth = await authorize(c, deps, kind, obj ?? undefined);
  if (auth.error) return refused(deps, "unauthorized", events.length, auth.error);
  if (await queueIsFull(deps, events.length)) return refused(deps, "queue_full", events.length, busy(c));
  const context =
    obj && typeof obj.context === "object" && obj.context !== null && !Array.isArray(obj.context)
      ? obj.context as Record<string, unknown>
      : undefined;
  const { results } = await ingestEvents(deps, {
    workspaceId: auth.key.workspaceId,
    streamId: auth.key.streamId,
    events,
    pathType: null,
    facts: facts(c, deps, kind),
    headers: publicHeaders(c.req.raw.headers),
    writeKeyMasked: auth.masked,
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

function messageIdOf(e: unknown): string {
  const id = typeof e === "object" && e !== null ? (e as { messageId?: unknown }).messageId : undefined;
  return typeof id === "string" ? ` (message ID ${id.slice(0, 128)})` : "";
}

/** The ingest router. No bearer auth: write keys are checked per request. */
export function ingestRouter() {
  const app = new Hono<AppEnv>();
  for (const path of ["/api/s/:tp", "/api/s/s2s/:tp", "/v1/batch", "/v1/b"]) app.options(path, preflight);
  app.post("/api/s/s2s/:tp", describeRoute(SERVER_EVENT), (c) => {
    const tp = c.req.param("tp");
    return withCors(c, () => tp === "batch" ? batch(c, "s2s") : single(c, "s2s", tp));
  });
  app.post(
    "/api/s/:tp",
    describeRoute(BROWSER_EVENT),
    (c) => withCors(c, () => single(c, "browser", c.req.param("tp"))),
  );
  app.post("/v1/batch", describeRoute(SEGMENT_BATCH), (c) => withCors(c, () => batch(c, "s2s")));
  app.post("/v1/b", describeRoute(SEGMENT_BATCH), (c) => withCors(c, () => batch(c, "s2s")));
  return app;
}
