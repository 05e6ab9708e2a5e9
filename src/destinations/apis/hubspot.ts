/**
 * HubSpot CRM API v3 (private app token as Bearer). Mapping as Jitsu's hubspot function: the custom
 * properties `jitsu_user_id` (contacts) and `jitsu_group_id` (companies) are created when missing
 * (autoCreateCustomProperties);
 * identify with userId and email -> find the contact by jitsu_user_id, then by email, and update or
 * create it (with groupId: find or create the company and associate them); group -> create or update
 * the company by jitsu_group_id; with sendPageViewEvents, any event with an email -> a behavioral event
 * (`/events/v3/send`). Each event is a chain of requests, in order.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, newPlan, refusedTest } from "./api_driver.ts";
import type { ApiRequest, ApiResponse } from "./api_http.ts";
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

const BASE = "https://api.hubapi.com";
const USER_PROP = "jitsu_user_id";
const GROUP_PROP = "jitsu_group_id";

interface HubspotCreds {
  headers: Record<string, string>;
  sendPageViewEvents: boolean;
  createProperties: boolean;
}

type Send = (req: ApiRequest) => Promise<ApiResponse>;

class Stop extends Error {
  constructor(readonly res: ApiResponse) {
    super("stop");
  }
}

const ok = (r: ApiResponse) => r.status >= 200 && r.status < 300;
const json = (r: ApiResponse): Obj => {
  try {
    return obj(JSON.parse(r.text));
  } catch {
    return {};
  }
};

function client(c: HubspotCreds, send: Send) {
  return async function rq(
    method: string,
    path: string,
    body?: unknown,
    allow404 = false,
  ): Promise<ApiResponse> {
    const res = await send({
      method,
      url: `${BASE}${path}`,
      headers: c.headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!ok(res) && !(allow404 && res.status === 404)) throw new Stop(res);
    return res;
  };
}
type Rq = ReturnType<typeof client>;

async function ensureProperty(rq: Rq, objectType: string, name: string, group: string) {
  const found = await rq("GET", `/crm/v3/properties/${objectType}/${name}`, undefined, true);
  if (ok(found)) return;
  await rq("POST", `/crm/v3/properties/${objectType}`, {
    name,
    label: name,
    type: "string",
    fieldType: "text",
    groupName: group,
    description: "Custom property, created by the Jitsu integration (Sluice)",
  });
}

async function search(
  rq: Rq,
  objectType: string,
  property: string,
  value: string,
): Promise<string | undefined> {
  const res = await rq("POST", `/crm/v3/objects/${objectType}/search`, {
    filterGroups: [{ filters: [{ propertyName: property, operator: "EQ", value }] }],
    limit: 1,
  });
  const hit = (json(res).results as Obj[] | undefined)?.[0];
  return hit ? String(hit.id) : undefined;
}

async function upsert(rq: Rq, objectType: string, id: string | undefined, properties: Obj, update = true) {
  if (id) {
    if (update) await rq("PATCH", `/crm/v3/objects/${objectType}/${id}`, { properties });
    return id;
  }
  return String(json(await rq("POST", `/crm/v3/objects/${objectType}`, { properties })).id);
}

function chain(e: PipelineEvent, c: HubspotCreds, ensure: (rq: Rq) => Promise<void>) {
  return async function hubspotChain(send: Send): Promise<ApiResponse> {
    const rq = client(c, send);
    let last: ApiResponse = { status: 200, text: "", headers: new Headers() };
    const track = (res: Promise<ApiResponse>) => res.then((r) => (last = r));
    try {
      await ensure(rq);
      const type = typeOf(e);
      const traits = obj(e.traits);
      const userId = idOf(e.userId);
      const groupId = idOf(e.groupId);
      const email = idOf(traits.email) ?? idOf(obj(e.properties).email);
      let contactId: string | undefined;
      let companyId: string | undefined;
      if (type === "identify" && userId && email) {
        const name = idOf(traits.name)?.split(" ") ?? [];
        const existing = await search(rq, "contacts", USER_PROP, userId) ??
          await search(rq, "contacts", "email", email);
        contactId = await upsert(
          rq,
          "contacts",
          existing,
          compact({
            email,
            firstname: name[0],
            lastname: name.slice(1).join(" ") || undefined,
            [USER_PROP]: userId,
          }),
        );
        if (groupId) {
          const found = await search(rq, "companies", GROUP_PROP, groupId);
          companyId = await upsert(rq, "companies", found, {
            name: `Company ${groupId}`,
            [GROUP_PROP]: groupId,
          }, false);
        }
      }
      if (type === "group" && groupId) {
        const found = await search(rq, "companies", GROUP_PROP, groupId);
        await upsert(rq, "companies", found, {
          name: idOf(traits.name) ?? `Company ${groupId}`,
          [GROUP_PROP]: groupId,
        });
      }
      if (contactId && companyId) {
        await track(rq("POST", "/crm/v3/associations/contacts/companies/batch/create", {
          inputs: [{ from: { id: contactId }, to: { id: companyId }, type: "contact_to_company" }],
        }));
      }
      if (email && c.sendPageViewEvents) {
        const url = obj(context(e).page).url ?? obj(e.properties).url;
        await track(rq(
          "POST",
          "/events/v3/send",
          compact({
            eventName: type === "track" ? eventName(e) ?? "track" : type,
            email,
            objectId: contactId,
            occurredAt: new Date(eventTimeMs(e)).toISOString(),
            properties: url ? { url: String(url) } : {},
            uuid: idOf(e.messageId),
          }),
        ));
      }
      return last;
    } catch (err) {
      if (err instanceof Stop) return err.res;
      throw err;
    }
  };
}

function sends(e: PipelineEvent, c: HubspotCreds): string | null {
  const type = typeOf(e);
  const traits = obj(e.traits);
  const email = idOf(traits.email) ?? idOf(obj(e.properties).email);
  if (type === "identify" && idOf(e.userId) && idOf(traits.email)) return null;
  if (type === "group" && idOf(e.groupId)) return null;
  if (email && c.sendPageViewEvents) return null;
  return c.sendPageViewEvents
    ? `HubSpot mapping sends nothing for a ${type} event without an email`
    : `HubSpot mapping sends nothing for a ${type} event (identify needs userId and email; sendPageViewEvents is off)`;
}

function plan(events: PipelineEvent[], c: HubspotCreds): ApiPlan {
  const p = newPlan();
  // The custom properties are checked once per delivery, before the first event that needs them.
  let ensured: Promise<void> | null = null;
  const ensure = (rq: Rq) =>
    !c.createProperties ? Promise.resolve() : ensured ??= (async () => {
      await ensureProperty(rq, "contacts", USER_PROP, "contactinformation");
      await ensureProperty(rq, "companies", GROUP_PROP, "companyinformation");
    })();
  events.forEach((e, i) => {
    const why = sends(e, c);
    if (why) return p.skipped.set(i, why);
    p.requests.push({ url: `${BASE}/crm/v3/objects`, events: [i], chain: chain(e, c, ensure) });
  });
  return p;
}

export const HUBSPOT: ApiSpec<HubspotCreds> = {
  type: "hubspot",
  title: "HubSpot",
  credentials: (raw) => ({
    headers: {
      authorization: `Bearer ${need(raw, "accessToken")}`,
      "content-type": "application/json",
      accept: "application/json",
    },
    sendPageViewEvents: raw.sendPageViewEvents === true,
    createProperties: raw.autoCreateCustomProperties !== false,
  }),
  plan,
  concurrency: 1,
  async test(c, send) {
    const res = await send({
      method: "GET",
      url: `${BASE}/crm/v3/objects/contacts?limit=1`,
      headers: c.headers,
    });
    if (res.status !== 200) return refusedTest("HubSpot", res);
    return {
      ok: true,
      message: "Checked: the access token can read contacts (GET /crm/v3/objects/contacts, records nothing).",
    };
  },
};
