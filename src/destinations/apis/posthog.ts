/**
 * PostHog's capture API: `POST {host}/batch/` with `{api_key, batch}`, `host` being PostHog Cloud or a
 * self-hosted instance. Mapping as Jitsu's posthog function: identify -> `$identify` (`$set` traits,
 * `$anon_distinct_id`) plus `$create_alias` of the anonymous id and the email, group -> `$groupidentify`
 * (group analytics on), track -> the event, page -> `$pageview` (identified users, or anonymous ones
 * with enableAnonymousUserProfiles); `$groups` carries context.groupId.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, chunk, newPlan, refusedTest } from "./api_driver.ts";
import {
  compact,
  context,
  eventName,
  hostOf,
  idOf,
  need,
  type Obj,
  obj,
  traitsOf,
  typeOf,
} from "./event_fields.ts";

/** Events per /batch/ request; PostHog takes up to 20 MB a request, Sluice sends at most 5 MB. */
export const POSTHOG_BATCH = 1000;
const MAX_BYTES = 5_000_000;
export const POSTHOG_DEFAULT_HOST = "https://app.posthog.com";

interface PosthogCreds {
  host: string;
  key: string;
  enableGroupAnalytics: boolean;
  groupType: string;
  anonymous: boolean;
}

function credentials(raw: Obj): PosthogCreds {
  const host = typeof raw.host === "string" && raw.host ? raw.host.replace(/\/+$/, "") : POSTHOG_DEFAULT_HOST;
  if (!/^https?:\/\/[^/\s]+$/i.test(host)) {
    throw new Error(`field "host" must be http(s)://<host>, not ${host}`);
  }
  return {
    host,
    key: need(raw, "key"),
    enableGroupAnalytics: raw.enableGroupAnalytics === true,
    groupType: typeof raw.groupType === "string" && raw.groupType ? raw.groupType : "group",
    anonymous: raw.enableAnonymousUserProfiles === true || raw.sendAnonymousEvents === true,
  };
}

function pathOf(url: unknown): string | undefined {
  try {
    return typeof url === "string" ? new URL(url).pathname : undefined;
  } catch {
    return undefined;
  }
}

function eventProperties(e: PipelineEvent): Obj {
  const ctx = context(e);
  const page = obj(ctx.page);
  const custom: Obj = { ...obj(e.properties) };
  for (
    const k of [
      "referer",
      "groupId",
      "referring_domain",
      "url",
      "host",
      "path",
      "screen",
      "page",
      "width",
      "height",
    ]
  ) {
    delete custom[k];
  }
  return compact({
    $referrer: page.referrer,
    $referring_domain: page.referring_domain ?? hostOf(page.referrer),
    $current_url: page.url,
    $host: page.host ?? hostOf(page.url),
    $pathname: page.path ?? pathOf(page.url),
    $screen_height: obj(ctx.screen).height,
    $screen_width: obj(ctx.screen).width,
    $ip: ctx.ip,
    $useragent: ctx.userAgent,
    ...custom,
  });
}

function mapEvent(e: PipelineEvent, c: PosthogCreds): Obj[] | string {
  const type = typeOf(e);
  const userId = idOf(e.userId);
  const anon = idOf(e.anonymousId);
  const email = idOf(traitsOf(e).email);
  const timestamp = typeof e.timestamp === "string" ? e.timestamp : undefined;
  const uuidOk = typeof e.messageId === "string" && /^[0-9a-f-]{36}$/i.test(e.messageId);
  const base = (event: string, distinct: string, properties: Obj): Obj =>
    compact({ event, distinct_id: distinct, properties, timestamp, uuid: uuidOk ? e.messageId : undefined });
  const groups = (): Obj => {
    const g = idOf(context(e).groupId);
    return g && c.enableGroupAnalytics ? { $groups: { [c.groupType]: g } } : {};
  };
  if (type === "identify") {
    const traits = obj(e.traits);
    if (!userId) {
      const distinct = anon ?? email;
      if (!distinct) return "identify without userId, anonymousId or email";
      if (!c.anonymous) return "identify of an anonymous user and enableAnonymousUserProfiles is off";
      return [base("$identify", distinct, compact({ $anon_distinct_id: anon, $set: traits }))];
    }
    const out = [base("$identify", userId, compact({ $anon_distinct_id: anon, $set: traits }))];
    if (anon) out.push(base("$create_alias", userId, { alias: anon }));
    if (email) out.push(base("$create_alias", userId, { alias: email }));
    return out;
  }
  if (type === "group") {
    if (!c.enableGroupAnalytics) return "group event and enableGroupAnalytics is off";
    const key = idOf(e.groupId);
    if (!key) return "group event without groupId";
    return [base("$groupidentify", `${c.groupType}_${key}`, {
      $group_type: c.groupType,
      $group_key: key,
      $group_set: obj(e.traits),
    })];
  }
  const distinct = userId ?? anon ?? email;
  if (!distinct) return `${type} event without userId, anonymousId or email`;
  if (type === "track") {
    return [base(eventName(e) ?? "Unknown Event", distinct, { ...eventProperties(e), ...groups() })];
  }
  if (type === "page") {
    if (!userId && !c.anonymous) {
      return "page view of an anonymous user and enableAnonymousUserProfiles is off";
    }
    return [base("$pageview", distinct, { ...eventProperties(e), ...groups() })];
  }
  return `PostHog mapping sends no ${type} events`;
}

function plan(events: PipelineEvent[], c: PosthogCreds): ApiPlan {
  const p = newPlan();
  const items: { record: Obj; event: number }[] = [];
  events.forEach((e, i) => {
    const m = mapEvent(e, c);
    if (typeof m === "string") return p.skipped.set(i, m);
    for (const record of m) items.push({ record, event: i });
    p.mapped.set(i, m);
  });
  for (const part of chunk(items, POSTHOG_BATCH, MAX_BYTES)) {
    p.requests.push({
      url: `${c.host}/batch/`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: c.key, batch: part.map((x) => x.record) }),
      events: [...new Set(part.map((x) => x.event))],
    });
  }
  return p;
}

export const POSTHOG: ApiSpec<PosthogCreds> = {
  type: "posthog",
  title: "PostHog",
  credentials,
  plan,
  async test(c, send) {
    // Feature-flag evaluation checks the project key and records no event.
    const res = await send({
      url: `${c.host}/decide/?v=3`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: c.key, distinct_id: "sluice-connection-test" }),
    });
    if (res.status !== 200) return refusedTest("PostHog", res);
    return {
      ok: true,
      message: `Checked: ${c.host} accepts the project API key (POST /decide/, records no event).`,
    };
  },
};
