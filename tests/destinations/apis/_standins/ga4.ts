/**
 * GA4 Measurement Protocol stand-in, after Google's reference: `POST /mp/collect?measurement_id=&api_secret=`
 * answers 204 to everything and silently drops what is invalid (a wrong secret, no `client_id`, more than
 * 25 events, a bad event name), so only valid hits are recorded; `POST /debug/mp/collect` answers 200
 * with `validationMessages` and records nothing.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const GA4_CREDS = { measurementId: "G-TEST123", apiSecret: "ga4-secret-xyz" };

export interface Ga4StandIn extends StandIn {
  hits: Record<string, unknown>[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

function validate(
  body: Record<string, unknown> | undefined,
): { description: string; fieldPath: string; validationCode: string }[] {
  const out: { description: string; fieldPath: string; validationCode: string }[] = [];
  if (!body || typeof body !== "object") {
    return [{
      description: "Unable to parse Measurement Protocol JSON payload.",
      fieldPath: "",
      validationCode: "VALUE_INVALID",
    }];
  }
  if (typeof body.client_id !== "string" || !body.client_id) {
    out.push({
      description: "Measurement requires a client_id.",
      fieldPath: "client_id",
      validationCode: "VALUE_REQUIRED",
    });
  }
  const events = Array.isArray(body.events) ? body.events : [];
  if (events.length === 0 || events.length > 25) {
    out.push({
      description: "A request carries 1 to 25 events.",
      fieldPath: "events",
      validationCode: "VALUE_INVALID",
    });
  }
  for (const e of events as Record<string, unknown>[]) {
    if (!NAME.test(String(e?.name ?? ""))) {
      out.push({
        description: `Event name ${e?.name} is invalid.`,
        fieldPath: "events.name",
        validationCode: "NAME_INVALID",
      });
    }
  }
  return out;
}

export function ga4StandIn(): Ga4StandIn {
  const hits: Record<string, unknown>[] = [];
  function collect(r: Seen, debug: boolean): Answer {
    const messages = validate(r.json);
    if (debug) return { status: 200, json: { validationMessages: messages } };
    const ok = r.query.get("measurement_id") === GA4_CREDS.measurementId &&
      r.query.get("api_secret") === GA4_CREDS.apiSecret && messages.length === 0;
    if (ok) hits.push(r.json);
    return { status: 204 };
  }
  const s = startStandIn(function ga4(r) {
    if (r.method === "POST" && r.path === "/mp/collect") return collect(r, false);
    if (r.method === "POST" && r.path === "/debug/mp/collect") return collect(r, true);
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { hits });
}
