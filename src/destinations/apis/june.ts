/**
 * June: Segment-style calls to `https://api.june.so/sdk/{track,identify,group}` with the write key as
 * `Authorization: Basic <key>`, one request an event (June's SDK API takes no batches). Mapping as
 * Jitsu's june function: page -> track "Page View", track -> the event (identified users, or anonymous
 * ones with enableAnonymousUserProfiles), identify (with userId) and group as themselves.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, newPlan } from "./api_driver.ts";
import { compact, context, eventName, idOf, need, type Obj, obj, typeOf } from "./event_fields.ts";

const BASE = "https://api.june.so/sdk";

interface JuneCreds {
  auth: string;
  anonymous: boolean;
}

function prefixed(o: Obj, prefix: string): Obj {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}${k}`, v]));
}

function mapEvent(e: PipelineEvent, c: JuneCreds): [string, Obj] | string {
  const type = typeOf(e);
  const ctx = context(e);
  const userId = idOf(e.userId);
  const base = {
    timestamp: e.timestamp,
    anonymousId: idOf(e.anonymousId),
    userId,
    messageId: idOf(e.messageId),
  };
  if (type === "identify") {
    if (!userId) return "identify without userId (June identifies known users only)";
    const traits = { ...obj(e.traits) };
    delete traits.groupId;
    return ["identify", compact({ type: "identify", ...base, traits })];
  }
  if (type === "group") {
    return ["group", compact({ type: "group", ...base, groupId: idOf(e.groupId), traits: obj(e.traits) })];
  }
  if (type !== "track" && type !== "page") return `June mapping sends no ${type} events`;
  if (!userId && !c.anonymous) return "anonymous user (no userId) and enableAnonymousUserProfiles is off";
  const props = { ...obj(e.properties) };
  delete props.width;
  delete props.height;
  const page = obj(ctx.page);
  const groupId = idOf(ctx.groupId);
  return [
    "track",
    compact({
      type: "track",
      ...base,
      event: type === "page" ? "Page View" : eventName(e) ?? "Unknown Event",
      email: obj(ctx.traits).email,
      properties: compact({
        ...props,
        referrer: page.referrer,
        referring_domain: page.referring_domain,
        ...prefixed(obj(ctx.campaign), "campaign_"),
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        locale: ctx.locale,
        ...prefixed(obj(ctx.screen), "screen_"),
      }),
      context: groupId ? { groupId } : {},
    }),
  ];
}

function plan(events: PipelineEvent[], c: JuneCreds): ApiPlan {
  const p = newPlan();
  events.forEach((e, i) => {
    const m = mapEvent(e, c);
    if (typeof m === "string") return p.skipped.set(i, m);
    p.mapped.set(i, m[1]);
    p.requests.push({
      url: `${BASE}/${m[0]}`,
      headers: { "content-type": "application/json", authorization: c.auth },
      body: JSON.stringify(m[1]),
      events: [i],
    });
  });
  return p;
}

export const JUNE: ApiSpec<JuneCreds> = {
  type: "june",
  title: "June",
  credentials: (raw) => ({
    auth: `Basic ${need(raw, "apiKey")}`,
    anonymous: raw.enableAnonymousUserProfiles === true,
  }),
  plan,
  test() {
    return Promise.resolve({
      ok: true,
      message:
        "Checked: the write key is set. Not checked: whether June accepts it; June's API has no call " +
        "that checks a key without recording an event, so only an event seen in June proves it.",
    });
  },
};
