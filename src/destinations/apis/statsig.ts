/**
 * Statsig: `POST https://events.statsigapi.net/v1/log_event` with the server secret in `statsig-api-key`,
 * up to 500 events a request. Mapping as Jitsu's statsig function: the user (userID, customIDs from
 * anonymousId, groupId and client ids, ip, userAgent, locale, country, environment tier) and the event:
 * track -> its name with `value`, page -> `page_view` and screen -> `screen_view` (sendPageEvents),
 * identify -> `identify`, group -> `group`; metadata is flattened to string values.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, chunk, newPlan, refusedTest } from "./api_driver.ts";
import { context, eventName, eventTimeMs, idOf, need, type Obj, obj, typeOf } from "./event_fields.ts";

const URL_LOG = "https://events.statsigapi.net/v1/log_event";
/** Events per log_event request. */
export const STATSIG_BATCH = 500;
const MAX_BYTES = 4_000_000;

interface StatsigCreds {
  key: string;
  anonymous: boolean;
  sendPageEvents: boolean;
  environment: string | undefined;
}

function flatten(o: Obj, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null || v === undefined) continue;
    if (typeof v === "object" && !Array.isArray(v)) flatten(v as Obj, key, out);
    else out[key] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return out;
}

function userOf(e: PipelineEvent, c: StatsigCreds): Obj {
  const ctx = context(e);
  const ids = obj(ctx.clientIds);
  const customIDs: Record<string, string> = {};
  const put = (k: string, v: unknown) => {
    const s = idOf(v);
    if (s) customIDs[k] = s;
  };
  put("jitsuAnonymousId", e.anonymousId);
  put("groupId", e.groupId ?? ctx.groupId);
  put("ga4ClientId", obj(ids.ga4).clientId);
  put("fbc", ids.fbc);
  put("fbp", ids.fbp);
  const traits = { ...(typeOf(e) === "identify" ? obj(e.traits) : obj(ctx.traits)) };
  delete traits.email;
  const user: Obj = {};
  if (idOf(e.userId)) user.userID = idOf(e.userId);
  if (Object.keys(customIDs).length) user.customIDs = customIDs;
  const country = idOf(obj(obj(ctx.geo).country).code);
  if (country) user.country = country;
  if (c.environment) user.statsigEnvironment = { tier: c.environment };
  for (const k of ["ip", "userAgent", "locale"]) if (idOf(ctx[k])) user[k] = ctx[k];
  if (Object.keys(traits).length) user.custom = flatten(traits);
  return user;
}

function mapEvent(e: PipelineEvent, c: StatsigCreds): Obj | string {
  if (!idOf(e.userId) && !c.anonymous) {
    return "anonymous user (no userId) and enableAnonymousUserProfiles is off";
  }
  const type = typeOf(e);
  const base = { user: userOf(e, c), time: eventTimeMs(e) };
  const props = obj(e.properties);
  if (type === "track") {
    return {
      ...base,
      eventName: eventName(e) ?? "Unknown Event",
      value: props.value,
      metadata: flatten(props),
    };
  }
  if (type === "page" || type === "screen") {
    if (!c.sendPageEvents) return `${type} event and sendPageEvents is off`;
    const page = obj(context(e).page);
    return { ...base, eventName: `${type}_view`, metadata: flatten({ ...page, ...props }) };
  }
  if (type === "identify") return { ...base, eventName: "identify", metadata: {} };
  if (type === "group") {
    return {
      ...base,
      eventName: "group",
      value: idOf(e.groupId),
      metadata: flatten({ groupId: e.groupId, ...obj(e.traits) }),
    };
  }
  return `Statsig mapping sends no ${type} events`;
}

function plan(events: PipelineEvent[], c: StatsigCreds): ApiPlan {
  const p = newPlan();
  const items: { record: Obj; event: number }[] = [];
  events.forEach((e, i) => {
    const m = mapEvent(e, c);
    if (typeof m === "string") return p.skipped.set(i, m);
    for (const k of Object.keys(m)) if (m[k] === undefined) delete m[k];
    items.push({ record: m, event: i });
    p.mapped.set(i, m);
  });
  for (const part of chunk(items, STATSIG_BATCH, MAX_BYTES)) {
    p.requests.push({
      url: URL_LOG,
      headers: {
        "content-type": "application/json",
        "statsig-api-key": c.key,
        "statsig-client-time": String(Date.now()),
      },
      body: JSON.stringify({ events: part.map((x) => x.record) }),
      events: part.map((x) => x.event),
    });
  }
  return p;
}

export const STATSIG: ApiSpec<StatsigCreds> = {
  type: "statsig",
  title: "Statsig",
  credentials: (raw) => ({
    key: need(raw, "apiKey"),
    anonymous: raw.enableAnonymousUserProfiles === true,
    sendPageEvents: raw.sendPageEvents === true,
    environment: typeof raw.environment === "string" && raw.environment ? raw.environment : undefined,
  }),
  plan,
  async test(c, send) {
    const res = await send({
      url: URL_LOG,
      headers: { "content-type": "application/json", "statsig-api-key": c.key },
      body: JSON.stringify({ events: [] }),
    });
    if (res.status === 401 || res.status === 403) return refusedTest("Statsig", res);
    return {
      ok: true,
      message:
        `Checked: log_event answers ${res.status} to a request with no events and does not refuse the ` +
        "key. Not checked: that Statsig records events under it; only an event in Statsig's Metrics " +
        "Explorer proves it.",
    };
  },
};
