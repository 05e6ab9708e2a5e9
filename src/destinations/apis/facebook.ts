/**
 * Meta's Conversions API: `POST https://graph.facebook.com/v18.0/{pixelId}/events?access_token=` with
 * `{data: [...]}`, up to 1000 events a request. Mapping as Jitsu's facebook-conversions function: track
 * (its name), page and screen events that pass the `events` filter; `user_data` with the SHA-256 of the
 * normalised email (and phone, from the trait named by phoneFieldName), external ids, IP, user agent,
 * fbc/fbp; `custom_data` the properties without page fields; `event_id` the message id (deduplication).
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, chunk, newPlan, refusedTest } from "./api_driver.ts";
import {
  compact,
  context,
  eventTimeMs,
  idOf,
  need,
  type Obj,
  obj,
  sha256Hex,
  traitsOf,
  typeOf,
} from "./event_fields.ts";

const GRAPH = "https://graph.facebook.com/v18.0";
/** Events per request (Meta's documented limit). */
export const FACEBOOK_BATCH = 1000;
const PAGE_FIELDS = [
  "path",
  "referrer",
  "host",
  "referring_domain",
  "search",
  "title",
  "url",
  "hash",
  "height",
  "width",
];

interface FacebookCreds {
  pixelId: string;
  token: string;
  actionSource: string;
  filter: (type: string, name: string | undefined) => boolean;
  phoneField: string | undefined;
}

function eventFilter(spec: string): (type: string, name: string | undefined) => boolean {
  const items = spec.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.includes("*")) return () => true;
  if (!items.length) return (type) => type === "track";
  return (type, name) => items.includes(type) || (name !== undefined && items.includes(name));
}

function credentials(raw: Obj): FacebookCreds {
  const pixelId = need(raw, "pixelId");
  if (!/^\d{1,30}$/.test(pixelId)) throw new Error('field "pixelId" must be the numeric pixel (dataset) id');
  return {
    pixelId,
    token: need(raw, "accessToken"),
    actionSource: typeof raw.actionSource === "string" && raw.actionSource ? raw.actionSource : "website",
    filter: eventFilter(typeof raw.events === "string" ? raw.events : ""),
    phoneField: idOf(raw.phoneFieldName),
  };
}

async function mapEvent(e: PipelineEvent, c: FacebookCreds): Promise<Obj | string> {
  const type = typeOf(e);
  const name = idOf(e.event);
  if (type !== "track" && type !== "page" && type !== "screen") {
    return `Conversions API mapping sends no ${type} events`;
  }
  if (!c.filter(type, name)) return `${type} ${name ?? ""} is not in the events setting`.replace("  ", " ");
  const ctx = context(e);
  const traits = { ...obj(ctx.traits), ...traitsOf(e) };
  const email = idOf(traits.email);
  const phone = c.phoneField ? idOf(traits[c.phoneField]) : undefined;
  const ids = [idOf(e.userId), idOf(e.anonymousId)].filter((x): x is string => Boolean(x));
  const clientIds = obj(ctx.clientIds);
  const custom = { ...obj(e.properties) };
  for (const k of PAGE_FIELDS) delete custom[k];
  return compact({
    event_name: type === "track" ? name ?? "Unknown Event" : type,
    event_time: Math.floor(eventTimeMs(e) / 1000),
    event_id: idOf(e.messageId),
    action_source: c.actionSource,
    event_source_url: obj(ctx.page).url,
    user_data: compact({
      em: email ? await sha256Hex(email.trim().toLowerCase()) : undefined,
      ph: phone ? await sha256Hex(phone.replace(/\D/g, "")) : undefined,
      external_id: ids.length === 0 ? undefined : ids.length === 1 ? ids[0] : ids,
      client_ip_address: ctx.ip,
      client_user_agent: ctx.userAgent,
      fbc: clientIds.fbc,
      fbp: clientIds.fbp,
    }),
    custom_data: custom,
  });
}

async function plan(events: PipelineEvent[], c: FacebookCreds): Promise<ApiPlan> {
  const p = newPlan();
  const items: { record: Obj; event: number }[] = [];
  for (let i = 0; i < events.length; i++) {
    const m = await mapEvent(events[i], c);
    if (typeof m === "string") p.skipped.set(i, m);
    else {
      items.push({ record: m, event: i });
      p.mapped.set(i, m);
    }
  }
  for (const part of chunk(items, FACEBOOK_BATCH, 4_000_000)) {
    p.requests.push({
      url: `${GRAPH}/${c.pixelId}/events?access_token=${encodeURIComponent(c.token)}`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: part.map((x) => x.record) }),
      events: part.map((x) => x.event),
    });
  }
  return p;
}

export const FACEBOOK: ApiSpec<FacebookCreds> = {
  type: "facebook-conversions",
  title: "Facebook Conversions API",
  credentials,
  plan,
  async test(c, send) {
    // Reading the pixel checks the token and its access to the pixel; no event is sent.
    const res = await send({
      method: "GET",
      url: `${GRAPH}/${c.pixelId}?fields=id,name&access_token=${encodeURIComponent(c.token)}`,
    });
    if (res.status !== 200) return refusedTest("Facebook Conversions API", res);
    return {
      ok: true,
      message: `Checked: the access token can read pixel ${c.pixelId} (GET, records nothing).`,
    };
  },
};
