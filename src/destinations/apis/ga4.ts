/**
 * Google Analytics 4 through the Measurement Protocol: `POST /mp/collect?measurement_id=&api_secret=`,
 * one request per event (a request carries one client's events; GA4 takes up to 25 of them). Mapping
 * as Jitsu's ga4 function: page -> `page_view`, track/identify/group/alias -> the event name with
 * Segment's ecommerce names turned into GA4's recommended events (ga4_events.ts). GA4 answers 2xx to
 * everything, even a wrong secret, so only transport errors and 4xx/5xx fail here.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, newPlan, refusedTest } from "./api_driver.ts";
import { context, eventTimeMs, idOf, need, type Obj, obj, typeOf } from "./event_fields.ts";
import { ga4TrackEvent } from "./ga4_events.ts";

const COLLECT_URLS = [
  "https://www.google-analytics.com/mp/collect",
  // GA4's EU collection endpoint.
  "https://region1.google-analytics.com/mp/collect",
];

interface Ga4Creds {
  url: string;
  measurementId: string;
  apiSecret: string;
  filter: (type: string, name: string | undefined) => boolean;
}

/** Jitsu's `events` filter: "" sends track events only, "*" everything, else event types or names. */
function eventFilter(spec: string): (type: string, name: string | undefined) => boolean {
  const items = spec.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.includes("*")) return () => true;
  if (!items.length) return (type) => type === "track";
  return (type, name) => items.includes(type) || (name !== undefined && items.includes(name));
}

function credentials(raw: Obj): Ga4Creds {
  const url = typeof raw.url === "string" && raw.url ? raw.url.replace(/\/+$/, "") : COLLECT_URLS[0];
  if (!COLLECT_URLS.includes(url)) throw new Error(`field "url" must be one of ${COLLECT_URLS.join(", ")}`);
  return {
    url,
    measurementId: need(raw, "measurementId"),
    apiSecret: need(raw, "apiSecret"),
    filter: eventFilter(typeof raw.events === "string" ? raw.events : ""),
  };
}

function pageView(e: PipelineEvent): Obj {
  const page = { ...obj(context(e).page), ...obj(e.properties) };
  return {
    name: "page_view",
    params: {
      page_location: page.url ?? "",
      page_referrer: page.referrer ?? "",
      page_title: page.title ?? "",
      engagement_time_msec: 1,
    },
  };
}

function mapEvent(e: PipelineEvent, c: Ga4Creds): Obj | string {
  const type = typeOf(e);
  const name = idOf(e.event) ?? idOf(e.name);
  if (!c.filter(type, name)) return `${type} ${name ?? ""} is not in the events setting`.replace("  ", " ");
  const clientIds = obj(obj(context(e).clientIds).ga4);
  const clientId = idOf(clientIds.clientId) ?? idOf(e.anonymousId);
  if (!clientId) return "no GA4 client id (context.clientIds.ga4.clientId or anonymousId)";
  let event: Obj;
  if (type === "page") event = pageView(e);
  else if (["track", "identify", "group", "alias"].includes(type)) event = ga4TrackEvent(e);
  else return `GA4 mapping sends no ${type} events`;
  const sessionId = idOf(obj(clientIds.sessionIds)[c.measurementId.replace(/^G-/, "")]);
  if (sessionId) event = { ...event, params: { ...obj(event.params), session_id: sessionId } };
  const body: Obj = {
    client_id: clientId,
    timestamp_micros: eventTimeMs(e) * 1000,
    events: [event],
  };
  const userId = idOf(e.userId);
  if (userId) body.user_id = userId;
  return body;
}

function collectUrl(c: Ga4Creds, debug: boolean): string {
  const u = new URL(c.url);
  if (debug) u.pathname = `/debug${u.pathname}`;
  u.searchParams.set("measurement_id", c.measurementId);
  u.searchParams.set("api_secret", c.apiSecret);
  return u.toString();
}

function plan(events: PipelineEvent[], c: Ga4Creds): ApiPlan {
  const p = newPlan();
  events.forEach((e, i) => {
    const m = mapEvent(e, c);
    if (typeof m === "string") return p.skipped.set(i, m);
    p.mapped.set(i, m);
    p.requests.push({
      url: collectUrl(c, false),
      headers: { "content-type": "application/json" },
      body: JSON.stringify(m),
      events: [i],
    });
  });
  return p;
}

export const GA4: ApiSpec<Ga4Creds> = {
  type: "ga4",
  title: "Google Analytics 4",
  credentials,
  plan,
  async test(c, send) {
    // The validation server checks a request and records nothing; it does not check the secret.
    const res = await send({
      url: collectUrl(c, true),
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_id: "sluice.connection-test",
        events: [{ name: "sluice_connection_test" }],
      }),
    });
    if (res.status !== 200) return refusedTest("Google Analytics 4", res);
    const messages = (obj(JSON.parse(res.text || "{}")).validationMessages ?? []) as Obj[];
    if (messages.length) {
      return {
        ok: false,
        step: "validate",
        error: `Google Analytics 4 refused the request: ${messages.map((m) => m.description).join("; ")}`,
      };
    }
    return {
      ok: true,
      message: "Checked: the collection endpoint answers and its validation server accepts a request for " +
        `${c.measurementId} (records nothing). Not checked: the API secret and the measurement id's ` +
        "existence; GA4 accepts any secret and drops events silently, so only an event seen in GA4's " +
        "Realtime report proves them.",
    };
  },
};
