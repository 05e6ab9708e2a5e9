/**
 * Statsig stand-in, after Statsig's HTTP API: `POST /v1/log_event` with the server secret in
 * `statsig-api-key`; a wrong key is a 401 `{"message": "..."}`, an event without `eventName` or `user`
 * a 400; success is 202 `{"success": true}` (an empty list too).
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const STATSIG_KEY = "secret-statsig-0123";

export interface StatsigStandIn extends StandIn {
  events: Record<string, unknown>[];
}

export function statsigStandIn(): StatsigStandIn {
  const events: Record<string, unknown>[] = [];
  function log(r: Seen): Answer {
    if (r.headers.get("statsig-api-key") !== STATSIG_KEY) {
      return { status: 401, json: { message: "Invalid or missing server secret key" } };
    }
    const list = r.json?.events;
    if (!Array.isArray(list)) return { status: 400, json: { message: "events must be an array" } };
    for (const e of list) {
      if (!e?.eventName || !e?.user) {
        return { status: 400, json: { message: "every event needs eventName and user" } };
      }
    }
    events.push(...list);
    return { status: 202, json: { success: true } };
  }
  const s = startStandIn(function statsig(r) {
    if (r.method === "POST" && r.path === "/v1/log_event") return log(r);
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { events });
}
