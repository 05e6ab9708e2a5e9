/**
 * Braze: `POST {endpoint}/users/track` (Bearer REST key; at most 75 attributes, 75 events and 75
 * purchases a request) and `/users/identify` for aliases, `endpoint` being the instance's REST URL (or
 * Jitsu's cluster label, e.g. "EU-01 : dashboard-01.braze.eu"). Mapping as Jitsu's braze function:
 * identify -> user attributes (+ identify of the anonymousId alias), track -> an event, "Order Completed"
 * -> one purchase per product, page/screen -> an event named so (sendPageEvents). Braze answers 201 with
 * `errors` naming refused items by index; those events fail alone.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, chunk, newPlan, refusedTest } from "./api_driver.ts";
import type { ApiResponse } from "./api_http.ts";
import { context, eventName, eventTimeMs, idOf, type Obj, obj, traitsOf, typeOf } from "./event_fields.ts";

/** Items of one kind per /users/track request (Braze's documented limit). */
export const BRAZE_BATCH = 75;

const CLUSTERS: Record<string, string> = {
  "US-01 : dashboard-01.braze.com": "https://rest.iad-01.braze.com",
  "US-02 : dashboard-02.braze.com": "https://rest.iad-02.braze.com",
  "US-03 : dashboard-03.braze.com": "https://rest.iad-03.braze.com",
  "US-04 : dashboard-04.braze.com": "https://rest.iad-04.braze.com",
  "US-05 : dashboard-05.braze.com": "https://rest.iad-05.braze.com",
  "US-06 : dashboard-06.braze.com": "https://rest.iad-06.braze.com",
  "US-07 : dashboard-07.braze.com": "https://rest.iad-07.braze.com",
  "US-08 : dashboard-08.braze.com": "https://rest.iad-08.braze.com",
  "US-09 : dashboard-09.braze.com": "https://rest.iad-09.braze.com",
  "EU-01 : dashboard-01.braze.eu": "https://rest.fra-01.braze.eu",
  "EU-02 : dashboard-02.braze.eu": "https://rest.fra-02.braze.eu",
};

const KNOWN = [
  "country",
  "dob",
  "email",
  "email_subscribe",
  "first_name",
  "home_city",
  "language",
  "last_name",
  "phone",
  "push_subscribe",
  "time_zone",
];

interface BrazeCreds {
  endpoint: string;
  auth: string;
  appId: string | undefined;
  aliasAnonymous: boolean;
  sendPageEvents: boolean;
}

function credentials(raw: Obj): BrazeCreds {
  const given = typeof raw.endpoint === "string" ? raw.endpoint.trim() : "";
  const endpoint = (CLUSTERS[given] ?? given).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/\s]+$/i.test(endpoint)) {
    throw new Error(
      `field "endpoint" must be the REST endpoint URL (https://rest.<cluster>.braze.com) or a cluster`,
    );
  }
  const key = typeof raw.apiKey === "string" ? raw.apiKey.trim() : "";
  if (!key) throw new Error('field "apiKey" is required');
  return {
    endpoint,
    auth: `Bearer ${key}`,
    appId: idOf(raw.appId),
    aliasAnonymous: raw.useJitsuAnonymousIdAlias === true,
    sendPageEvents: raw.sendPageEvents === true,
  };
}

function alias(e: PipelineEvent, c: BrazeCreds): Obj | undefined {
  const t = obj(traitsOf(e).user_alias);
  if (Object.keys(t).length) return t;
  const anon = idOf(e.anonymousId);
  return c.aliasAnonymous && anon ? { alias_name: anon, alias_label: "anonymous_id" } : undefined;
}

function idPart(e: PipelineEvent, c: BrazeCreds): Obj {
  const traits = traitsOf(e);
  const out: Obj = {};
  const userId = idOf(e.userId);
  const a = alias(e, c);
  const brazeId = idOf(traits.braze_id ?? obj(e.properties).braze_id);
  if (userId) out.external_id = userId;
  else if (a) out.user_alias = a;
  else if (brazeId) out.braze_id = brazeId;
  if (traits.email) out.email = traits.email;
  if (traits.phone) out.phone = traits.phone;
  if (!Object.keys(out).length) {
    throw new Error('one of "external_id", "user_alias", "braze_id", "email" or "phone" is required');
  }
  return out;
}

type Kind = "attributes" | "events" | "purchases";
interface Item {
  kind: Kind;
  record: Obj;
  event: number;
}

function mapEvent(
  e: PipelineEvent,
  i: number,
  c: BrazeCreds,
  items: Item[],
  identifies: Item[],
): string | null {
  const type = typeOf(e);
  const ids = idPart(e, c);
  const time = new Date(eventTimeMs(e)).toISOString();
  const base = { ...ids, ...(c.appId ? { app_id: c.appId } : {}), _update_existing_only: false };
  if (type === "identify") {
    const traits = obj(e.traits);
    const known: Obj = {};
    const custom: Obj = {};
    for (const [k, v] of Object.entries(traits)) (KNOWN.includes(k) ? known : custom)[k] = v;
    const geo = obj(context(e).geo);
    items.push({
      kind: "attributes",
      record: {
        ...ids,
        country: obj(geo.country).name,
        first_name: traits.firstName,
        last_name: traits.lastName,
        ...known,
        custom_attributes: custom,
        _update_existing_only: false,
      },
      event: i,
    });
    const a = alias(e, c);
    if (idOf(e.userId) && a) {
      identifies.push({
        kind: "attributes",
        record: { external_id: idOf(e.userId), user_alias: a },
        event: i,
      });
    }
    return null;
  }
  if (type === "track" && eventName(e) === "Order Completed") {
    const props = { ...obj(e.properties) };
    const products = Array.isArray(props.products) ? props.products.map(obj) : [];
    if (!products.length) return "Order Completed without products (Braze records purchases per product)";
    delete props.products;
    for (const p of products) {
      const { product_id, currency, price, quantity, ...rest } = p;
      items.push({
        kind: "purchases",
        record: {
          ...base,
          time,
          product_id,
          currency: currency ?? "USD",
          price,
          quantity,
          properties: { ...rest, ...props },
        },
        event: i,
      });
    }
    return null;
  }
  if (type === "track" || ((type === "page" || type === "screen") && c.sendPageEvents)) {
    const props = { ...obj(e.properties) };
    if (type !== "track" && idOf(e.name)) props[`${type}_name`] = e.name;
    items.push({
      kind: "events",
      record: { ...base, name: type === "track" ? eventName(e) : type, time, properties: props },
      event: i,
    });
    return null;
  }
  return type === "page" || type === "screen"
    ? `${type} event and sendPageEvents is off`
    : `Braze mapping sends no ${type} events`;
}

/** Braze's 201 with `errors: [{type, input_array, index}]`: the refused items' events fail alone. */
function itemErrors(part: Item[], kind: Kind) {
  return function brazeErrors(res: ApiResponse): Map<number, string> | null {
    if (res.status !== 201 && res.status !== 200) return null;
    let errors: Obj[];
    try {
      errors = (obj(JSON.parse(res.text)).errors ?? []) as Obj[];
    } catch {
      return null;
    }
    if (!Array.isArray(errors) || !errors.length) return null;
    const failed = new Map<number, string>();
    for (const err of errors) {
      const item = err.input_array === kind ? part[Number(err.index)] : undefined;
      if (item) failed.set(item.event, String(err.type ?? "refused"));
    }
    return failed.size ? failed : null;
  };
}

function plan(events: PipelineEvent[], c: BrazeCreds): ApiPlan {
  const p = newPlan();
  const items: Item[] = [];
  const identifies: Item[] = [];
  events.forEach((e, i) => {
    try {
      const skipped = mapEvent(e, i, c, items, identifies);
      if (skipped) p.skipped.set(i, skipped);
    } catch (err) {
      p.skipped.set(i, (err as Error).message);
    }
  });
  for (const i of new Set(items.map((x) => x.event))) {
    p.mapped.set(
      i,
      items.filter((x) => x.event === i).map((x) => ({ [x.kind]: x.record })),
    );
  }
  const headers = { "content-type": "application/json", authorization: c.auth };
  for (const kind of ["attributes", "events", "purchases"] as const) {
    for (const part of chunk(items.filter((x) => x.kind === kind), BRAZE_BATCH)) {
      p.requests.push({
        url: `${c.endpoint}/users/track`,
        headers,
        body: JSON.stringify({ [kind]: part.map((x) => x.record) }),
        events: [...new Set(part.map((x) => x.event))],
        partial: itemErrors(part, kind),
      });
    }
  }
  for (const part of chunk(identifies, 50)) {
    p.requests.push({
      url: `${c.endpoint}/users/identify`,
      headers,
      body: JSON.stringify({ aliases_to_identify: part.map((x) => x.record), merge_behavior: "merge" }),
      events: [...new Set(part.map((x) => x.event))],
    });
  }
  return p;
}

export const BRAZE: ApiSpec<BrazeCreds> = {
  type: "braze",
  title: "Braze",
  credentials,
  plan,
  async test(c, send) {
    // An empty /users/track: Braze checks the key (401) and records nothing.
    const res = await send({
      url: `${c.endpoint}/users/track`,
      headers: { "content-type": "application/json", authorization: c.auth },
      body: JSON.stringify({ attributes: [] }),
    });
    if (res.status === 401 || res.status === 403) return refusedTest("Braze", res);
    if (res.status >= 500 || res.status === 404) return refusedTest("Braze", res);
    return {
      ok: true,
      message: `Checked: ${c.endpoint} accepts the REST API key on /users/track (an empty request, records ` +
        "nothing).",
    };
  },
};
