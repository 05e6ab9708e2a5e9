/**
 * Intercom (REST API 2.10, Bearer access token; regions US `api.intercom.io`, EU `api.eu.intercom.io`,
 * AU `api.au.intercom.io`). Mapping as Jitsu's intercom function: identify with an email -> search the
 * contact by email or external id, then create or update it; group -> look the company up by
 * company_id, then create or update it; identify/group with userId and groupId -> attach the contact to
 * the company; track and page -> a data event (`page-view` for pages). Each event is its own chain of
 * requests, in order, since a contact must exist before its events.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, newPlan, type PlannedRequest, refusedTest } from "./api_driver.ts";
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

const HOSTS: Record<string, string> = {
  US: "https://api.intercom.io",
  EU: "https://api.eu.intercom.io",
  AU: "https://api.au.intercom.io",
};

interface IntercomCreds {
  base: string;
  headers: Record<string, string>;
}

type Send = (req: ApiRequest) => Promise<ApiResponse>;

function credentials(raw: Obj): IntercomCreds {
  const region = String(raw.region ?? "US");
  const base = HOSTS[region];
  if (!base) throw new Error(`field "region" must be US, EU or AU, not ${JSON.stringify(region)}`);
  return {
    base,
    headers: {
      authorization: `Bearer ${need(raw, "accessToken")}`,
      accept: "application/json",
      "content-type": "application/json",
      "intercom-version": "2.10",
    },
  };
}

const ok = (r: ApiResponse) => r.status >= 200 && r.status < 300;
const json = (r: ApiResponse): Obj => {
  try {
    return obj(JSON.parse(r.text));
  } catch {
    return {};
  }
};

/** A stop in a chain: the answer that decides the event's outcome. */
class Stop extends Error {
  constructor(readonly res: ApiResponse) {
    super("stop");
  }
}

function call(c: IntercomCreds, send: Send) {
  return async function request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const res = await send({
      method,
      url: `${c.base}${path}`,
      headers: c.headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!ok(res) && res.status !== 404) throw new Stop(res);
    return res;
  };
}

async function upsertContact(
  e: PipelineEvent,
  rq: ReturnType<typeof call>,
): Promise<{ id: string; res: ApiResponse } | null> {
  const traits = obj(e.traits);
  const email = idOf(traits.email);
  if (!email) return null;
  const userId = idOf(e.userId);
  const found = await rq("POST", "/contacts/search", {
    query: {
      operator: "OR",
      value: [
        { field: "email", operator: "=", value: email },
        ...(userId ? [{ field: "external_id", operator: "=", value: userId }] : []),
      ],
    },
  });
  const name = idOf(traits.name) ??
    (traits.firstName && traits.lastName ? `${traits.firstName} ${traits.lastName}` : undefined);
  const contact = compact({ role: "user", external_id: userId, email, name, phone: traits.phone });
  const existing = (json(found).data as Obj[] | undefined)?.[0];
  const res = existing
    ? await rq("PUT", `/contacts/${existing.id}`, contact)
    : await rq("POST", "/contacts", contact);
  if (!ok(res)) throw new Stop(res);
  return { id: String(existing?.id ?? json(res).id), res };
}

async function upsertCompany(
  e: PipelineEvent,
  rq: ReturnType<typeof call>,
): Promise<{ id: string; res: ApiResponse }> {
  const groupId = idOf(e.groupId)!;
  const found = await rq("GET", `/companies?company_id=${encodeURIComponent(groupId)}`);
  const company = compact({ company_id: groupId, name: idOf(obj(e.traits).name) });
  const existing = ok(found) ? json(found) : null;
  const res = existing?.id
    ? await rq("PUT", `/companies/${existing.id}`, company)
    : await rq("POST", "/companies", company);
  if (!ok(res)) throw new Stop(res);
  return { id: String(existing?.id ?? json(res).id), res };
}

function chainFor(e: PipelineEvent, c: IntercomCreds): PlannedRequest["chain"] | string {
  const type = typeOf(e);
  if (type === "identify" || type === "group") {
    const groupId = idOf(e.groupId);
    if (type === "identify" && !idOf(obj(e.traits).email) && !(groupId && idOf(e.userId))) {
      return "identify without traits.email (Intercom contacts are matched by email)";
    }
    if (type === "group" && !groupId) return "group event without groupId";
    return async function intercomProfile(send) {
      const rq = call(c, send);
      try {
        const contact = type === "identify" ? await upsertContact(e, rq) : null;
        const company = type === "group" ? await upsertCompany(e, rq) : null;
        let last = contact?.res ?? company?.res;
        const userId = idOf(e.userId);
        if (groupId && userId) {
          let companyId = company?.id;
          if (!companyId) {
            const found = await rq("GET", `/companies?company_id=${encodeURIComponent(groupId)}`);
            if (!ok(found)) return found;
            companyId = String(json(found).id);
          }
          let contactId = contact?.id;
          if (!contactId) {
            const found = await rq("POST", "/contacts/search", {
              query: { field: "external_id", operator: "=", value: userId },
            });
            const hit = (json(found).data as Obj[] | undefined)?.[0];
            if (!hit) {
              return {
                ...found,
                status: 404,
                text: `{"message":"contact with external_id ${userId} not found"}`,
              };
            }
            contactId = String(hit.id);
          }
          last = await rq("POST", `/contacts/${contactId}/companies`, { id: companyId });
        }
        return last!;
      } catch (err) {
        if (err instanceof Stop) return err.res;
        throw err;
      }
    };
  }
  if (type !== "track" && type !== "page") return `Intercom mapping sends no ${type} events`;
  const ctx = context(e);
  const email = idOf(obj(ctx.traits).email) ?? idOf(obj(e.traits).email);
  const userId = idOf(e.userId);
  if (!email && !userId) return "no userId or email: Intercom cannot link the event to a contact";
  const body = compact({
    event_name: type === "page" ? "page-view" : eventName(e) ?? "unknown",
    created_at: Math.round(eventTimeMs(e) / 1000),
    user_id: userId,
    email,
    metadata: compact({ ...obj(e.properties), url: obj(ctx.page).url }),
  });
  return (send) => send({ url: `${c.base}/events`, headers: c.headers, body: JSON.stringify(body) });
}

function plan(events: PipelineEvent[], c: IntercomCreds): ApiPlan {
  const p = newPlan();
  events.forEach((e, i) => {
    const chain = chainFor(e, c);
    if (typeof chain === "string") return p.skipped.set(i, chain);
    p.requests.push({
      url: `${c.base}/${typeOf(e) === "track" || typeOf(e) === "page" ? "events" : "contacts"}`,
      events: [i],
      chain,
    });
  });
  return p;
}

export const INTERCOM: ApiSpec<IntercomCreds> = {
  type: "intercom",
  title: "Intercom",
  credentials,
  plan,
  concurrency: 1,
  async test(c, send) {
    const res = await send({ method: "GET", url: `${c.base}/me`, headers: c.headers });
    if (res.status !== 200) return refusedTest("Intercom", res);
    const app = obj(json(res).app);
    return {
      ok: true,
      message:
        `Checked: the access token signs in to Intercom${app.name ? ` (workspace "${app.name}")` : ""} ` +
        "with GET /me, which records nothing.",
    };
  },
};
