/**
 * Amplitude's HTTP API v2 (`POST /2/httpapi`, `{api_key, events}`), US `api2.amplitude.com` or EU
 * residency `api.eu.amplitude.com`. Mapping as Jitsu's amplitude function: identify -> `$identify`
 * with `$set` user properties, group -> `$groupidentify` (group analytics on), page -> `pageview`, track
 * -> its name; page and track of anonymous users only with enableAnonymousUserProfiles. `insert_id` is
 * the message id, so a retried event is deduplicated by Amplitude.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, chunk, newPlan, refusedTest } from "./api_driver.ts";
import {
  compact,
  context,
  eventName,
  eventTimeMs,
  idOf,
  need,
  type Obj,
  obj,
  typeOf,
} from "./event_fields.ts";

/** Events per request: Amplitude documents at most 2000 and 1 MB; Sluice stays under both. */
export const AMPLITUDE_BATCH = 1000;
const MAX_BYTES = 900_000;

const ENDPOINTS: Record<string, string> = {
  US: "https://api2.amplitude.com/2/httpapi",
  EU: "https://api.eu.amplitude.com/2/httpapi",
};

interface AmplitudeCreds {
  url: string;
  key: string;
  enableGroupAnalytics: boolean;
  enableAnonymousUserProfiles: boolean;
  groupType: string;
}

function credentials(raw: Obj): AmplitudeCreds {
  const residency = String(raw.dataResidency ?? "US");
  const url = ENDPOINTS[residency];
  if (!url) throw new Error(`field "dataResidency" must be US or EU, not ${JSON.stringify(residency)}`);
  return {
    url,
    key: need(raw, "key"),
    enableGroupAnalytics: raw.enableGroupAnalytics === true,
    enableAnonymousUserProfiles: raw.enableAnonymousUserProfiles === true,
    groupType: typeof raw.groupType === "string" && raw.groupType ? raw.groupType : "group",
  };
}

function mapEvent(e: PipelineEvent, c: AmplitudeCreds): Obj | string {
  const type = typeOf(e);
  const userId = idOf(e.userId);
  const ctx = context(e);
  const common = {
    time: eventTimeMs(e),
    insert_id: idOf(e.messageId) ?? crypto.randomUUID(),
    user_id: userId,
  };
  if (type === "identify") {
    if (!userId) return "identify without userId (Amplitude needs a user id to set user properties)";
    return { ...common, event_type: "$identify", user_properties: { $set: { ...obj(e.traits) } } };
  }
  if (type === "group") {
    if (!c.enableGroupAnalytics) return "group event and enableGroupAnalytics is off";
    if (!userId) return "group event without userId";
    return {
      ...common,
      event_type: "$groupidentify",
      group_properties: { $set: { ...obj(e.traits) } },
      groups: { [c.groupType]: idOf(e.groupId) },
    };
  }
  if (type !== "page" && type !== "track") return `Amplitude mapping sends no ${type} events`;
  if (!userId && !c.enableAnonymousUserProfiles) {
    return "anonymous user (no userId) and enableAnonymousUserProfiles is off";
  }
  const geo = obj(ctx.geo);
  const groupId = idOf(ctx.groupId);
  const sessionId = typeof ctx.sessionId === "number" ? ctx.sessionId : Number(ctx.sessionId);
  return compact({
    ...common,
    event_type: type === "page" ? "pageview" : eventName(e) ?? "Unknown Event",
    session_id: Number.isFinite(sessionId) && sessionId > 0 ? sessionId : -1,
    event_properties: obj(e.properties),
    groups: groupId && c.enableGroupAnalytics ? { [c.groupType]: groupId } : {},
    user_properties: obj(ctx.traits),
    device_id: idOf(e.anonymousId),
    os_name: obj(ctx.os).name,
    os_version: obj(ctx.os).version,
    device_model: obj(ctx.device).model,
    device_manufacturer: obj(ctx.device).manufacturer,
    language: ctx.locale,
    ip: ctx.ip,
    user_agent: ctx.userAgent,
    country: obj(geo.country).code,
    region: obj(geo.region).code,
    city: obj(geo.city).name,
    location_lat: obj(geo.location).latitude,
    location_lng: obj(geo.location).longitude,
  });
}

function plan(events: PipelineEvent[], c: AmplitudeCreds): ApiPlan {
  const p = newPlan();
  const items: { record: Obj; event: number }[] = [];
  events.forEach((e, i) => {
    const m = mapEvent(e, c);
    if (typeof m === "string") p.skipped.set(i, m);
    else {
      items.push({ record: m, event: i });
      p.mapped.set(i, m);
    }
  });
  for (const part of chunk(items, AMPLITUDE_BATCH, MAX_BYTES)) {
    p.requests.push({
      url: c.url,
      headers: { "content-type": "application/json", accept: "*/*" },
      body: JSON.stringify({ api_key: c.key, events: part.map((x) => x.record) }),
      events: part.map((x) => x.event),
    });
  }
  return p;
}

export const AMPLITUDE: ApiSpec<AmplitudeCreds> = {
  type: "amplitude",
  title: "Amplitude",
  credentials,
  plan,
  async test(c, send) {
    // An upload with no events: Amplitude checks the key first, then refuses the empty list.
    const res = await send({
      url: c.url,
      headers: { "content-type": "application/json", accept: "*/*" },
      body: JSON.stringify({ api_key: c.key, events: [] }),
    });
    const text = res.text.toLowerCase();
    if (
      res.status === 200 || (res.status === 400 && !text.includes("api key") && !text.includes("api_key"))
    ) {
      return {
        ok: true,
        message: "Checked: Amplitude accepts the API key (an upload with no events, which records nothing).",
      };
    }
    return refusedTest("Amplitude", res);
  },
};
