/**
 * Meta Conversions API stand-in, after Meta's Graph API reference: `POST /v18.0/{pixel}/events` with
 * `access_token` in the query and `{data}` of at most 1000 events, each with `event_name`, `event_time`
 * (seconds, not in the future), `action_source` and `user_data`; `em`/`ph` must be lowercase hex
 * SHA-256. Errors are Graph errors: `{"error": {"message", "type", "code", "fbtrace_id"}}` (a bad token
 * is a 400 OAuthException code 190). `GET /v18.0/{pixel}?fields=id,name` reads the pixel.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const FACEBOOK_CREDS = { pixelId: "123456789012345", accessToken: "EAAB-token-0123" };

export interface FacebookStandIn extends StandIn {
  events: Record<string, unknown>[];
}

function graphError(status: number, message: string, code: number, type = "OAuthException"): Answer {
  return { status, json: { error: { message, type, code, fbtrace_id: "AbCdEf123" } } };
}

const HASH = /^[0-9a-f]{64}$/;

export function facebookStandIn(): FacebookStandIn {
  const events: Record<string, unknown>[] = [];
  function post(r: Seen): Answer {
    const data = r.json?.data;
    if (!Array.isArray(data) || data.length === 0) {
      return graphError(400, "(#100) The parameter data is required", 100);
    }
    if (data.length > 1000) return graphError(400, "(#100) data must contain at most 1000 events", 100);
    for (const e of data) {
      if (!e.event_name || typeof e.event_time !== "number" || !e.action_source || !e.user_data) {
        return graphError(
          400,
          "(#100) event_name, event_time, action_source and user_data are required",
          100,
        );
      }
      if (e.event_time > Date.now() / 1000 + 60) {
        return graphError(400, "Invalid parameter: event_time is in the future", 100, "OAuthException");
      }
      for (const k of ["em", "ph"]) {
        if (e.user_data[k] !== undefined && !HASH.test(e.user_data[k])) {
          return graphError(400, `Invalid parameter: user_data.${k} must be a SHA-256 hash`, 100);
        }
      }
    }
    events.push(...data);
    return { status: 200, json: { events_received: data.length, messages: [], fbtrace_id: "AbCdEf123" } };
  }
  const s = startStandIn(function facebook(r) {
    if (r.query.get("access_token") !== FACEBOOK_CREDS.accessToken) {
      return graphError(400, "Invalid OAuth access token - Cannot parse access token", 190);
    }
    if (r.method === "POST" && r.path === `/v18.0/${FACEBOOK_CREDS.pixelId}/events`) return post(r);
    if (r.method === "GET" && r.path === `/v18.0/${FACEBOOK_CREDS.pixelId}`) {
      return { status: 200, json: { id: FACEBOOK_CREDS.pixelId, name: "Shop pixel" } };
    }
    return graphError(400, "Unsupported request", 100, "GraphMethodException");
  });
  return Object.assign(s, { events });
}
