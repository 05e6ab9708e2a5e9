/**
 * Event normalisation as Jitsu's ingest does it (bulker `ingest/` patchEvent): type from the
 * path, a sane messageId, `receivedAt` always the server's time, `timestamp` if missing, `requestIp`,
 * and for browser events `context.ip` (never trusted from the browser), `context.userAgent` and
 * `context.locale` from the request.
 */

export const EVENT_TYPES = ["page", "identify", "track", "group", "alias", "screen"] as const;
export type EventType = typeof EVENT_TYPES[number];

const SHORT_TYPES: Record<string, EventType> = {
  p: "page",
  i: "identify",
  t: "track",
  g: "group",
  a: "alias",
  s: "screen",
};

/** The largest event, in bytes of its JSON; a larger one is refused with 413 (docs/pipeline.md). */
export const MAX_EVENT_BYTES = 1024 * 1024;
const MAX_EVENT_NAME = 128;

/** `page` from `page`/`p`; null for `e`/`event` (type from the body); undefined for anything else. */
export function typeFromPath(tp: string): EventType | null | undefined {
  const t = tp.toLowerCase();
  if ((EVENT_TYPES as readonly string[]).includes(t)) return t as EventType;
  if (t in SHORT_TYPES) return SHORT_TYPES[t];
  if (t === "e" || t === "event") return null;
  return undefined;
}

export interface RequestFacts {
  ingestType: "browser" | "s2s";
  /** The client IP as decided by the TRUST_PROXY setting. */
  ip: string | null;
  userAgent: string | null;
  acceptLanguage: string | null;
  now: Date;
}

export type Normalised = { ok: true; event: Record<string, unknown> } | { ok: false; error: string };

const SANE_MESSAGE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function validTimestamp(x: unknown): boolean {
  if (typeof x === "number") return Number.isFinite(x) && x > 0;
  return typeof x === "string" && x.length <= 64 && !Number.isNaN(Date.parse(x));
}

/**
 * Normalises one event. `pathType` is the type from the URL (null: take it from the body). `batchContext`
 * is a batch's shared `context`, merged under the event's own. The 1 MB limit is checked by the caller,
 * on the JSON it serialises anyway.
 */
export function normalizeEvent(
  raw: unknown,
  pathType: EventType | null,
  facts: RequestFacts,
  batchContext?: Record<string, unknown>,
): Normalised {
  if (!isObject(raw)) return { ok: false, error: "event must be a JSON object" };
  const event: Record<string, unknown> = { ...raw };
  const bodyType = typeof event.type === "string" ? typeFromPath(event.type) : undefined;
  const type = pathType ?? bodyType;
  if (!type) {
    return {
      ok: false,
      error: `event type ${JSON.stringify(event.type ?? null)} is not one of ${EVENT_TYPES.join(", ")}`,
    };
  }
  event.type = type;
  // Segment's browser library puts the write key in every event: a credential is never stored or delivered.
  delete event.writeKey;
  if (type === "track") {
    if (typeof event.event !== "string" || event.event.trim() === "") {
      return { ok: false, error: 'a track event needs "event" (its name), a non-empty string' };
    }
    if (event.event.length > MAX_EVENT_NAME) {
      return { ok: false, error: `"event" is longer than ${MAX_EVENT_NAME} characters` };
    }
  }
  if (!(typeof event.messageId === "string" && SANE_MESSAGE_ID.test(event.messageId))) {
    event.messageId = crypto.randomUUID();
  }
  const nowIso = facts.now.toISOString();
  if (!validTimestamp(event.timestamp)) event.timestamp = nowIso;
  event.receivedAt = nowIso;
  if (facts.ip) event.requestIp = facts.ip;
  const context: Record<string, unknown> = {
    ...(batchContext ?? {}),
    ...(isObject(event.context) ? event.context : {}),
  };
  if (facts.ingestType === "browser") {
    if (facts.ip) context.ip = facts.ip;
    else delete context.ip;
    if (facts.userAgent && typeof context.userAgent !== "string") context.userAgent = facts.userAgent;
    const locale = facts.acceptLanguage?.split(",")[0]?.split(";")[0]?.trim();
    if (locale && typeof context.locale !== "string") context.locale = locale;
  }
  event.context = context;
  return { ok: true, event };
}
