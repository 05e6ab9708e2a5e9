/**
 * Amplitude stand-in, after the HTTP API v2 reference: `POST /2/httpapi` with `{api_key, events}`; an
 * unknown key is a 400 "Invalid API key", no events a 400 with `missing_field`, more than 2000 events a
 * 413, an event without `event_type` or without a `user_id`/`device_id` of 5+ characters a 400 naming
 * the events (`events_with_missing_fields`, `events_with_invalid_fields`); success is
 * `{code: 200, events_ingested, payload_size_bytes, server_upload_time}`.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const AMPLITUDE_KEY = "amp-key-0123456789";

export interface AmplitudeStandIn extends StandIn {
  events: Record<string, unknown>[];
}

export function amplitudeStandIn(): AmplitudeStandIn {
  const events: Record<string, unknown>[] = [];
  function upload(r: Seen): Answer {
    const body = r.json ?? {};
    if (!body.api_key) {
      return {
        status: 400,
        json: { code: 400, error: "Request missing required field", missing_field: "api_key" },
      };
    }
    if (body.api_key !== AMPLITUDE_KEY) {
      return { status: 400, json: { code: 400, error: `Invalid API key: ${body.api_key}` } };
    }
    if (!Array.isArray(body.events) || body.events.length === 0) {
      return {
        status: 400,
        json: { code: 400, error: "Request missing required field", missing_field: "events" },
      };
    }
    if (body.events.length > 2000) return { status: 413, json: { code: 413, error: "Payload too large" } };
    const missing: number[] = [];
    const invalid: number[] = [];
    body.events.forEach((e: Record<string, unknown>, i: number) => {
      if (typeof e.event_type !== "string" || !e.event_type) missing.push(i);
      const id = String(e.user_id ?? e.device_id ?? "");
      if (id.length < 5) invalid.push(i);
    });
    if (missing.length || invalid.length) {
      return {
        status: 400,
        json: {
          code: 400,
          error: missing.length ? "Request missing required field" : "Invalid field values on some events",
          ...(missing.length ? { events_with_missing_fields: { event_type: missing } } : {}),
          ...(invalid.length ? { events_with_invalid_fields: { user_id: invalid } } : {}),
        },
      };
    }
    events.push(...body.events);
    return {
      status: 200,
      json: {
        code: 200,
        events_ingested: body.events.length,
        payload_size_bytes: r.text.length,
        server_upload_time: Date.now(),
      },
    };
  }
  const s = startStandIn(function amplitude(r) {
    if (r.method === "POST" && r.path === "/2/httpapi") return upload(r);
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { events });
}
