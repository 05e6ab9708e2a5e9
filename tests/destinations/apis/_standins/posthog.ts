/**
 * PostHog stand-in, after PostHog's capture API: `POST /batch/` with `{api_key, batch}` (each item an
 * `event` and a `distinct_id`, top level or in `properties`), `POST /decide/?v=3` (feature flags: checks
 * the key, records nothing). A wrong key is a 401 `authentication_error`, a bad item a 400
 * `validation_error`; success is `{"status": 1}`.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const POSTHOG_KEY = "phc_0123456789abcdef";

export interface PosthogStandIn extends StandIn {
  events: Record<string, unknown>[];
}

const BAD_KEY: Answer = {
  status: 401,
  json: {
    type: "authentication_error",
    code: "invalid_api_key",
    detail: "Project API key invalid. You can find your project API key in PostHog project settings.",
    attr: null,
  },
};

export function posthogStandIn(): PosthogStandIn {
  const events: Record<string, unknown>[] = [];
  function batch(r: Seen): Answer {
    if (r.json?.api_key !== POSTHOG_KEY) return BAD_KEY;
    if (!Array.isArray(r.json.batch)) {
      return {
        status: 400,
        json: {
          type: "validation_error",
          code: "invalid_payload",
          detail: "batch must be a list",
          attr: "batch",
        },
      };
    }
    for (const e of r.json.batch) {
      const distinct = e?.distinct_id ?? e?.properties?.distinct_id;
      if (typeof e?.event !== "string" || !e.event || distinct === undefined || distinct === "") {
        return {
          status: 400,
          json: {
            type: "validation_error",
            code: "invalid_payload",
            detail: "Invalid payload: All events must have the event name field 'event' and a distinct_id",
            attr: null,
          },
        };
      }
    }
    events.push(...r.json.batch);
    return { status: 200, json: { status: 1 } };
  }
  const s = startStandIn(function posthog(r) {
    if (r.method === "POST" && r.path === "/batch/") return batch(r);
    if (r.method === "POST" && r.path === "/decide/") {
      if (r.json?.api_key !== POSTHOG_KEY) return BAD_KEY;
      return { status: 200, json: { featureFlags: {}, errorsWhileComputingFlags: false } };
    }
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { events });
}
