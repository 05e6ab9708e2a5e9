/**
 * HubSpot stand-in, after HubSpot's CRM API v3: Bearer private app token (401 `INVALID_AUTHENTICATION`
 * otherwise); properties (`GET/POST /crm/v3/properties/{type}[/{name}]`, 404 when missing); objects
 * (`POST /crm/v3/objects/{type}/search` with `EQ` filters, which is a 400 on an unknown property;
 * `POST` creates, 409 on a taken email; `PATCH /{id}` updates; `GET ?limit=` lists); associations
 * (`POST /crm/v3/associations/contacts/companies/batch/create`) and `POST /events/v3/send` (204).
 * Errors are `{"status": "error", "message", "correlationId", "category"}`.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const HUBSPOT_TOKEN = "pat-na1-0123456789";

type Rec = Record<string, unknown>;

export interface HubspotStandIn extends StandIn {
  objects: { contacts: Rec[]; companies: Rec[] };
  properties: { contacts: Set<string>; companies: Set<string> };
  associations: [string, string][];
  events: Rec[];
}

function err(status: number, category: string, message: string): Answer {
  return { status, json: { status: "error", message, correlationId: "c0ffee", category } };
}

export function hubspotStandIn(): HubspotStandIn {
  const objects = { contacts: [] as Rec[], companies: [] as Rec[] };
  const properties = {
    contacts: new Set(["email", "firstname", "lastname"]),
    companies: new Set(["name", "domain"]),
  };
  const associations: [string, string][] = [];
  const events: Rec[] = [];
  let n = 100;
  function handle(r: Seen): Answer {
    const b = r.json ?? {};
    let m = /^\/crm\/v3\/properties\/(contacts|companies)(?:\/([^/]+))?$/.exec(r.path);
    if (m) {
      const set = properties[m[1] as "contacts"];
      if (r.method === "GET" && m[2]) {
        return set.has(m[2])
          ? { status: 200, json: { name: m[2] } }
          : err(404, "OBJECT_NOT_FOUND", `Unable to find property ${m[2]}`);
      }
      if (r.method === "POST" && !m[2]) {
        if (!b.name || !b.type || !b.fieldType || !b.groupName) {
          return err(400, "VALIDATION_ERROR", "Property is missing fields");
        }
        set.add(b.name);
        return { status: 201, json: { name: b.name } };
      }
    }
    m = /^\/crm\/v3\/objects\/(contacts|companies)(\/search|\/[^/]+)?$/.exec(r.path);
    if (m) {
      const kind = m[1] as "contacts" | "companies";
      const list = objects[kind];
      if (r.method === "POST" && m[2] === "/search") {
        const f = b.filterGroups?.[0]?.filters?.[0] ?? {};
        if (!properties[kind].has(f.propertyName)) {
          return err(
            400,
            "VALIDATION_ERROR",
            `There was a problem with the request: unknown property ${f.propertyName}`,
          );
        }
        const results = list.filter((o) => (o.properties as Rec)[f.propertyName] === f.value);
        return { status: 200, json: { total: results.length, results } };
      }
      if (r.method === "POST" && !m[2]) {
        const props = b.properties ?? {};
        for (const k of Object.keys(props)) {
          if (!properties[kind].has(k)) return err(400, "VALIDATION_ERROR", `Property "${k}" does not exist`);
        }
        if (kind === "contacts" && list.some((o) => (o.properties as Rec).email === props.email)) {
          return err(
            409,
            "CONFLICT",
            `Contact already exists. Existing ID: ${
              list.find((o) => (o.properties as Rec).email === props.email)!.id
            }`,
          );
        }
        const o = { id: String(++n), properties: props };
        list.push(o);
        return { status: 201, json: o };
      }
      if (r.method === "PATCH" && m[2]) {
        const o = list.find((x) => x.id === m![2].slice(1));
        if (!o) return err(404, "OBJECT_NOT_FOUND", "Object not found");
        Object.assign(o.properties as Rec, b.properties ?? {});
        return { status: 200, json: o };
      }
      if (r.method === "GET" && !m[2]) {
        return { status: 200, json: { results: list.slice(0, Number(r.query.get("limit") ?? 10)) } };
      }
    }
    if (r.method === "POST" && r.path === "/crm/v3/associations/contacts/companies/batch/create") {
      for (const i of b.inputs ?? []) associations.push([i.from.id, i.to.id]);
      return { status: 201, json: { status: "COMPLETE", results: [] } };
    }
    if (r.method === "POST" && r.path === "/events/v3/send") {
      if (!b.eventName || !(b.email || b.objectId || b.utk)) {
        return err(400, "VALIDATION_ERROR", "eventName and an identifier are required");
      }
      events.push(b);
      return { status: 204 };
    }
    return err(404, "OBJECT_NOT_FOUND", "Resource not found");
  }
  const s = startStandIn(function hubspot(r) {
    if (r.headers.get("authorization") !== `Bearer ${HUBSPOT_TOKEN}`) {
      return err(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
      );
    }
    return handle(r);
  });
  return Object.assign(s, { objects, properties, associations, events });
}
