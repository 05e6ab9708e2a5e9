/**
 * Segment HTTP tracking API stand-in, after Segment's reference: `POST /v1/batch` with the write key as
 * the Basic user name, at most 500 KB a request and 32 KB an event (400 otherwise), 200
 * `{"success": true}` for everything else: events under an unknown write key are dropped silently.
 */
import { type Answer, basicCredentials, type Seen, type StandIn, startStandIn } from "./server.ts";

export const SEGMENT_WRITE_KEY = "seg-write-key-0123";

export interface SegmentStandIn extends StandIn {
  events: Record<string, unknown>[];
}

export function segmentStandIn(): SegmentStandIn {
  const events: Record<string, unknown>[] = [];
  function batch(r: Seen): Answer {
    if (r.text.length > 500 * 1024) {
      return { status: 400, json: { success: false, message: "Request body is larger than 500KB" } };
    }
    if (!Array.isArray(r.json?.batch)) {
      return { status: 400, json: { success: false, message: "Invalid JSON: batch is required" } };
    }
    for (const e of r.json.batch) {
      if (JSON.stringify(e).length > 32 * 1024) {
        return { status: 400, json: { success: false, message: "Event is larger than 32KB" } };
      }
    }
    if (basicCredentials(r.headers)?.[0] === SEGMENT_WRITE_KEY) events.push(...r.json.batch);
    return { status: 200, json: { success: true } };
  }
  const s = startStandIn(function segment(r) {
    if (r.method === "POST" && r.path === "/v1/batch") return batch(r);
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { events });
}
