/**
 * Mixpanel: events through the Import API (`/import?strict=1`, service account, 2000 events a request),
 * user profiles through `/engage` and group profiles through `/groups` (project token, 2000 updates a
 * request). Identity follows Jitsu's mixpanel function: with Simplified ID Merge the distinct id is the
 * user id or `$device:<anonymousId>`; otherwise an identify merges the anonymous id into the user id
 * (`$merge`), or aliases it to the email when there is no user id (`$create_alias`).
 * Regions: US `api.mixpanel.com`, EU `api-eu.mixpanel.com`, IN `api-in.mixpanel.com`.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, basicAuth, chunk, newPlan, refusedTest } from "./api_driver.ts";
import type { ApiResponse } from "./api_http.ts";
import {
  compact,
  context,
  eventName,
  eventTimeMs,
  idOf,
  isBot,
  need,
  type Obj,
  obj,
  sha256Hex,
  traitsOf,
  typeOf,
} from "./event_fields.ts";

/** Records per /import, /engage and /groups request (Mixpanel's documented limit). */
export const MIXPANEL_BATCH = 2000;
/** Uncompressed bytes per request (Mixpanel's limit is 10 MB). */
const MAX_BYTES = 9_000_000;

const HOSTS: Record<string, { api: string; app: string }> = {
  US: { api: "https://api.mixpanel.com", app: "https://mixpanel.com" },
  EU: { api: "https://api-eu.mixpanel.com", app: "https://eu.mixpanel.com" },
  IN: { api: "https://api-in.mixpanel.com", app: "https://in.mixpanel.com" },
};

// Profile properties Mixpanel reserves, sent with a `$` prefix.
const SPECIAL = ["avatar", "email", "phone", "name", "first_name", "last_name", "timezone", "unsubscribed"];
const INSERT_ID = /^[A-Za-z0-9-]{1,36}$/;
const BAD_IDS = new Set(["undefined", "unknown", "null", "00000000-0000-0000-0000-000000000000"]);

interface MixpanelCreds {
  api: string;
  app: string;
  projectId: string;
  projectToken: string;
  auth: string;
  simplifiedIdMerge: boolean;
  sendPageEvents: boolean;
  sendIdentifyEvents: boolean;
  enableGroupAnalytics: boolean;
  enableAnonymousUserProfiles: boolean;
  groupKey: string;
  filterBotTraffic: boolean;
}

function credentials(raw: Obj): MixpanelCreds {
  const region = String(raw.dataResidency ?? "US");
  const hosts = HOSTS[region];
  if (!hosts) throw new Error(`field "dataResidency" must be US, EU or IN, not ${JSON.stringify(region)}`);
  return {
    ...hosts,
    projectId: need(raw, "projectId"),
    projectToken: need(raw, "projectToken"),
    auth: basicAuth(need(raw, "serviceAccountUserName"), need(raw, "serviceAccountPassword")),
    simplifiedIdMerge: raw.simplifiedIdMerge === true,
    sendPageEvents: raw.sendPageEvents !== false,
    sendIdentifyEvents: raw.sendIdentifyEvents === true,
    enableGroupAnalytics: raw.enableGroupAnalytics === true,
    enableAnonymousUserProfiles: raw.enableAnonymousUserProfiles === true,
    groupKey: typeof raw.groupKey === "string" && raw.groupKey ? raw.groupKey : "$group_id",
    filterBotTraffic: raw.filterBotTraffic !== false,
  };
}

function specialTraits(t: Obj): Obj {
  const out: Obj = { ...t };
  for (const p of SPECIAL) {
    if (out[p] !== undefined && out[p] !== null && out[p] !== "") {
      out[`$${p}`] = out[p];
      delete out[p];
    }
  }
  delete out.groupId;
  return out;
}

async function deviceIdOf(e: PipelineEvent): Promise<string | undefined> {
  const anon = idOf(e.anonymousId);
  if (anon && !BAD_IDS.has(anon)) return anon.length > 250 ? await sha256Hex(anon) : anon;
  const c = context(e);
  const traits = traitsOf(e);
  const seed = `${idOf(e.userId) ?? ""}${c.ip ? `${c.ip}${c.userAgent ?? ""}` : ""}${
    Object.keys(traits).length ? JSON.stringify(traits) : ""
  }`;
  return seed ? await sha256Hex(seed) : undefined;
}

/** Mixpanel's `$insert_id`: at most 36 of [A-Za-z0-9-], the same for a retried event (deduplicated). */
async function insertId(e: PipelineEvent, what: string): Promise<string> {
  const id = idOf(e.messageId);
  // An event's own record keeps a message id that already fits (a UUID does); the rest are hashed.
  if (id && !what.startsWith("$") && INSERT_ID.test(id)) return id;
  return (await sha256Hex(`${id ?? JSON.stringify(e)}/${what}`)).slice(0, 36);
}

function utm(campaign: Obj, prefix = ""): Obj {
  return Object.fromEntries(
    Object.entries(campaign).map(([k, v]) => [`${prefix}utm_${k === "name" ? "campaign" : k}`, v]),
  );
}

async function trackRecord(
  e: PipelineEvent,
  name: string,
  deviceId: string,
  distinctId: string,
  c: MixpanelCreds,
) {
  const ctx = context(e);
  const traits = specialTraits(traitsOf(e));
  const groupId = idOf(ctx.groupId) ?? idOf(traitsOf(e).groupId);
  const custom: Obj = {
    ...utm(obj(ctx.campaign)),
    ...obj(ctx.page),
    ...traits,
    ...obj(e.properties),
    ...(groupId ? { [c.groupKey]: groupId } : {}),
  };
  const pageUrl = custom.url;
  const title = custom.title;
  const referrer = custom.referrer;
  const referringDomain = custom.referring_domain;
  for (const k of ["url", "title", "referrer", "referring_domain"]) delete custom[k];
  const geo = obj(ctx.geo);
  return {
    event: name,
    properties: compact({
      ip: ctx.ip,
      time: eventTimeMs(e),
      $device_id: deviceId,
      distinct_id: distinctId,
      $insert_id: await insertId(e, name),
      $user_id: idOf(e.userId),
      $current_url: pageUrl,
      current_page_title: title,
      $referrer: referrer,
      $referring_domain: referringDomain,
      $session_id: ctx.sessionId,
      $os: obj(ctx.os).name,
      $os_version: obj(ctx.os).version,
      mp_country_code: obj(geo.country).code,
      $region: obj(geo.region).code,
      $city: obj(geo.city).name,
      $app_name: obj(ctx.app).name,
      $app_version: obj(ctx.app).version,
      $screen_height: obj(ctx.screen).height,
      $screen_width: obj(ctx.screen).width,
      $device_type: obj(ctx.device).type,
      $model: obj(ctx.device).model,
      $manufacturer: obj(ctx.device).manufacturer,
      userAgent: ctx.userAgent,
      ...custom,
    }),
  };
}

function profileUpdates(e: PipelineEvent, distinctId: string, c: MixpanelCreds): Obj[] {
  const ctx = context(e);
  const geo = obj(ctx.geo);
  const traits = traitsOf(e);
  const base = { $token: c.projectToken, $distinct_id: distinctId, $ip: ctx.ip };
  const out: Obj[] = [
    compact({
      ...base,
      $set: compact({
        mp_country_code: obj(geo.country).code,
        $city: obj(geo.city).name,
        ...specialTraits(traits),
      }),
    }),
  ];
  const page = obj(ctx.page);
  if (page.referrer || page.referring_domain) {
    const initial = { ...utm(obj(ctx.campaign), "initial_") };
    for (const [k, v] of Object.entries(obj(e.properties))) {
      if (k.startsWith("utm_")) initial[`initial_${k}`] = v;
    }
    out.push(compact({
      ...base,
      $set_once: compact({
        ...initial,
        $initial_referrer: page.referrer,
        $initial_referring_domain: page.referring_domain,
      }),
    }));
  }
  const groupId = idOf(ctx.groupId) ?? idOf(traits.groupId);
  if (groupId) out.push(compact({ ...base, $union: { [c.groupKey]: [groupId] } }));
  return out;
}

interface Pending {
  imports: { record: Obj; event: number }[];
  engage: { record: Obj; event: number }[];
  groups: { record: Obj; event: number }[];
}

async function mapOne(e: PipelineEvent, i: number, c: MixpanelCreds, plan: ApiPlan, out: Pending) {
  if (c.filterBotTraffic && isBot(e)) return plan.skipped.set(i, "bot traffic (filterBotTraffic is on)");
  const deviceId = await deviceIdOf(e);
  if (!deviceId) {
    return plan.skipped.set(i, "no anonymousId, userId, context.ip or traits to identify the user");
  }
  const userId = idOf(e.userId);
  const anon = idOf(e.anonymousId);
  const email = idOf(traitsOf(e).email);
  const distinctId = c.simplifiedIdMerge ? (userId ?? `$device:${deviceId}`) : (userId ?? email ?? deviceId);
  const anonymous = Boolean(anon && distinctId.endsWith(anon));
  if (anonymous && !c.enableAnonymousUserProfiles) {
    return plan.skipped.set(i, "anonymous user (no userId or email) and enableAnonymousUserProfiles is off");
  }
  const imports: Obj[] = [];
  const engage: Obj[] = [];
  const groups: Obj[] = [];
  const type = typeOf(e);
  if (type === "identify") {
    if (userId) engage.push(...profileUpdates(e, distinctId, c));
    if (!c.simplifiedIdMerge && !anonymous && anon) {
      imports.push(
        userId
          ? {
            event: "$merge",
            properties: {
              time: eventTimeMs(e),
              $insert_id: await insertId(e, "$merge"),
              $distinct_ids: [distinctId, anon],
            },
          }
          : {
            event: "$create_alias",
            properties: {
              time: eventTimeMs(e),
              $insert_id: await insertId(e, "$create_alias"),
              distinct_id: anon,
              alias: distinctId,
            },
          },
      );
    }
    if (c.sendIdentifyEvents) imports.push(await trackRecord(e, "Identify", deviceId, distinctId, c));
  } else if (type === "group" && c.enableGroupAnalytics) {
    groups.push({
      $token: c.projectToken,
      $group_key: c.groupKey,
      $group_id: idOf(e.groupId),
      $set: specialTraits(obj(e.traits)),
    });
  } else if (type === "track") {
    imports.push(await trackRecord(e, eventName(e) ?? "Unknown Event", deviceId, distinctId, c));
  } else if (type === "page" && c.sendPageEvents) {
    imports.push(await trackRecord(e, "$mp_web_page_view", deviceId, distinctId, c));
  } else if (type === "screen") {
    imports.push(await trackRecord(e, "Screen", deviceId, distinctId, c));
  }
  if (!imports.length && !engage.length && !groups.length) {
    return plan.skipped.set(i, `Mixpanel mapping sends nothing for a ${type} event with these settings`);
  }
  for (const record of imports) out.imports.push({ record, event: i });
  for (const record of engage) out.engage.push({ record, event: i });
  for (const record of groups) out.groups.push({ record, event: i });
  plan.mapped.set(i, {
    ...(imports.length ? { import: imports } : {}),
    ...(engage.length ? { engage: engage.map(maskToken) } : {}),
    ...(groups.length ? { groups: groups.map(maskToken) } : {}),
  });
}

function maskToken(r: Obj): Obj {
  return { ...r, $token: "__MASKED_BY_JITSU__" };
}

/** /import with strict=1 answers 400 with `failed_records` naming each refused record by index. */
function importPartial(items: { event: number }[]) {
  return function failedRecords(res: ApiResponse): Map<number, string> | null {
    if (res.status !== 400) return null;
    let body: Obj;
    try {
      body = obj(JSON.parse(res.text));
    } catch {
      return null;
    }
    if (!Array.isArray(body.failed_records)) return null;
    const failed = new Map<number, string>();
    for (const r of body.failed_records as Obj[]) {
      const item = items[Number(r.index)];
      if (item) failed.set(item.event, `${r.field ?? "record"}: ${r.message ?? body.error ?? "invalid"}`);
    }
    return failed;
  };
}

/** /engage and /groups with verbose=1 answer `{"status":0,"error":"..."}` for a refused update. */
function verbosePartial(items: { event: number }[]) {
  return function verboseStatus(res: ApiResponse): Map<number, string> | null {
    if (res.status !== 200) return null;
    let body: Obj;
    try {
      body = obj(JSON.parse(res.text));
    } catch {
      return null;
    }
    if (body.status !== 0) return null;
    return new Map(items.map((it) => [it.event, String(body.error ?? "status 0")]));
  };
}

async function plan(events: PipelineEvent[], c: MixpanelCreds): Promise<ApiPlan> {
  const p = newPlan();
  const out: Pending = { imports: [], engage: [], groups: [] };
  for (let i = 0; i < events.length; i++) await mapOne(events[i], i, c, p, out);
  const json = { "content-type": "application/json", accept: "application/json" };
  for (const part of chunk(out.imports, MIXPANEL_BATCH, MAX_BYTES)) {
    p.requests.push({
      url: `${c.api}/import?strict=1&project_id=${encodeURIComponent(c.projectId)}`,
      headers: { ...json, authorization: c.auth },
      body: JSON.stringify(part.map((x) => x.record)),
      events: [...new Set(part.map((x) => x.event))],
      partial: importPartial(part),
    });
  }
  for (const [path, items] of [["engage", out.engage], ["groups", out.groups]] as const) {
    for (const part of chunk(items, MIXPANEL_BATCH, MAX_BYTES)) {
      p.requests.push({
        url: `${c.api}/${path}?verbose=1`,
        headers: json,
        body: JSON.stringify(part.map((x) => x.record)),
        events: [...new Set(part.map((x) => x.event))],
        partial: verbosePartial(part),
      });
    }
  }
  return p;
}

export const MIXPANEL: ApiSpec<MixpanelCreds> = {
  type: "mixpanel",
  title: "Mixpanel",
  credentials,
  plan,
  async test(c, send) {
    const res = await send({
      method: "GET",
      url: `${c.app}/api/app/me`,
      headers: { authorization: c.auth, accept: "application/json" },
    });
    if (res.status !== 200) return refusedTest("Mixpanel", res);
    const projects = obj(obj(obj(JSON.parse(res.text)).results).projects);
    if (!(c.projectId in projects)) {
      return {
        ok: false,
        step: "project",
        error: `Mixpanel: the service account signs in but has no access to project ${c.projectId}`,
      };
    }
    return {
      ok: true,
      message: `Checked: the service account signs in (GET /api/app/me) and can import into project ` +
        `${c.projectId}. Not checked: the project token, which Mixpanel checks only on a profile update.`,
    };
  },
};
