/**
 * The HTTP side shared by the ingest endpoints (src/api/ingest.ts, src/api/segment.ts): Jitsu's CORS,
 * answers built as one Response, the database-away 503, the full-queue 503, and the request facts
 * normalisation uses.
 */
import type { Context } from "hono";
import type { Deps } from "../deps.ts";
import { requestIp } from "../http/client_ip.ts";
import type { AppEnv } from "../http/env.ts";
import type { Located } from "../ingest/locate.ts";
import type { RequestFacts } from "../ingest/normalize.ts";
import { unavailableErrorFromDatabase } from "../store/db_errors.ts";

const RETRY_AFTER_SECONDS = 5;

const CORS_HEADERS =
  "x-enable-debug, x-write-key, authorization, content-type, x-ip-policy, cache-control, x-jitsu-custom";

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
export function respond(
  c: Context<AppEnv>,
  status: number,
  payload: unknown,
  extra?: Record<string, string>,
): Response {
  const headers = corsHeaders(c, { "content-type": "application/json" });
  const id = c.get("requestId");
  if (id) headers["x-request-id"] = id;
  if (extra) Object.assign(headers, extra);
  return new Response(JSON.stringify(payload), { status, headers });
}

/** `{ok: false, error}` with `status`. */
export function fail(c: Context<AppEnv>, status: number, error: string, extra?: Record<string, string>) {
  return respond(c, status, { ok: false, error }, extra);
}

/**
 * Runs an ingest handler. The database being away is a 503 with Retry-After in ingest's own shape (SDKs
 * retry on it, as on a full queue); any other thrown error's 500 (app.onError) gets the CORS headers too.
 */
export async function withCors(c: Context<AppEnv>, handler: () => Promise<Response>): Promise<Response> {
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

/** A CORS preflight: any origin, Jitsu's request headers, a day's cache. */
export function preflight(c: Context<AppEnv>) {
  prepareCors(c);
  c.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  c.header("Access-Control-Allow-Headers", CORS_HEADERS);
  c.header("Access-Control-Max-Age", "86400");
  return c.body(null, 204);
}

/** Counts `n` events refused before ingest saw them, and answers `res`. */
export function refused(
  deps: Deps,
  result: "unauthorized" | "queue_full",
  n: number,
  res: Response,
): Response {
  deps.metrics.inc("sluice_ingest_events_total", { result }, n);
  return res;
}

/** The queue is full: 503 with Retry-After. */
export function busy(c: Context<AppEnv>) {
  return fail(c, 503, `The event queue is full: try again in ${RETRY_AFTER_SECONDS} seconds`, {
    "retry-after": String(RETRY_AFTER_SECONDS),
  });
}

/**
 * The answer to a refused key or origin. Browser endpoints answer 200 with the error (Jitsu: a page never
 * shows a failed request), and so does a refused origin anywhere; server and Segment endpoints answer 401.
 */
export function locateProblem(c: Context<AppEnv>, browserStatus: boolean, located: Located & { ok: false }) {
  if (browserStatus || located.problem === "origin") return fail(c, 200, located.error);
  return fail(c, 401, located.error, { "www-authenticate": 'Basic realm="sluice ingest"' });
}

/** What normalisation takes from the request. */
export function requestFacts(c: Context<AppEnv>, deps: Deps, ingestType: "browser" | "s2s"): RequestFacts {
  return {
    ingestType,
    ip: requestIp(c),
    userAgent: c.req.header("user-agent") ?? null,
    acceptLanguage: c.req.header("accept-language") ?? null,
    now: deps.clock.now(),
  };
}

/** ` (message ID x)` for a batch error line, when the event has one. */
export function messageIdOf(e: unknown): string {
  const id = typeof e === "object" && e !== null ? (e as { messageId?: unknown }).messageId : undefined;
  return typeof id === "string" ? ` (message ID ${id.slice(0, 128)})` : "";
}
