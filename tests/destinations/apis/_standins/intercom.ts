/**
 * Intercom stand-in, after Intercom's REST API 2.10: Bearer token (401 `error.list` "Access Token
 * Invalid" otherwise), `GET /me`, `POST /contacts/search` (email / external_id, `=` and `OR`),
 * `POST /contacts` (409 when the email is taken), `PUT /contacts/{id}`, `GET /companies?company_id=`
 * (404 `company_not_found`), `POST /companies`, `PUT /companies/{id}`, `POST /contacts/{id}/companies`
 * and `POST /events` (`event_name`, `created_at`, and a `user_id` or `email` of an existing contact,
 * else 404 "User Not Found"). Errors are `{"type": "error.list", "errors": [{code, message}]}`.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const INTERCOM_TOKEN = "dG9rOmludGVyY29tLTAx";

type Rec = Record<string, unknown>;

export interface IntercomStandIn extends StandIn {
  contacts: Rec[];
  companies: Rec[];
  attachments: [string, string][];
  events: Rec[];
}

function errorList(status: number, code: string, message: string): Answer {
  return { status, json: { type: "error.list", request_id: "req-1", errors: [{ code, message }] } };
}

function matches(c: Rec, q: Rec): boolean {
  if (q.operator === "OR") return (q.value as Rec[]).some((x) => matches(c, x));
  if (q.operator === "AND") return (q.value as Rec[]).every((x) => matches(c, x));
  return q.operator === "=" && c[String(q.field)] === q.value;
}

export function intercomStandIn(): IntercomStandIn {
  const contacts: Rec[] = [];
  const companies: Rec[] = [];
  const attachments: [string, string][] = [];
  const events: Rec[] = [];
  let n = 0;
  function handle(r: Seen): Answer {
    const b = r.json ?? {};
    if (r.method === "GET" && r.path === "/me") {
      return { status: 200, json: { type: "admin", id: "1", app: { name: "Shop", id_code: "abc" } } };
    }
    if (r.method === "POST" && r.path === "/contacts/search") {
      const data = contacts.filter((c) => matches(c, b.query ?? {}));
      return { status: 200, json: { type: "list", data, total_count: data.length } };
    }
    if (r.method === "POST" && r.path === "/contacts") {
      if (contacts.some((c) => c.email === b.email)) {
        return errorList(409, "conflict", "A contact matching those details already exists");
      }
      const c = { ...b, id: `ct${++n}`, type: "contact" };
      contacts.push(c);
      return { status: 200, json: c };
    }
    let m = /^\/contacts\/([^/]+)$/.exec(r.path);
    if (r.method === "PUT" && m) {
      const c = contacts.find((x) => x.id === m![1]);
      if (!c) return errorList(404, "not_found", "User Not Found");
      Object.assign(c, b);
      return { status: 200, json: c };
    }
    if (r.method === "GET" && r.path === "/companies") {
      const c = companies.find((x) => x.company_id === r.query.get("company_id"));
      return c ? { status: 200, json: c } : errorList(404, "company_not_found", "Company Not Found");
    }
    if (r.method === "POST" && r.path === "/companies") {
      if (!b.company_id) return errorList(400, "parameter_not_found", "company_id not specified");
      const c = { ...b, id: `co${++n}`, type: "company" };
      companies.push(c);
      return { status: 200, json: c };
    }
    m = /^\/companies\/([^/]+)$/.exec(r.path);
    if (r.method === "PUT" && m) {
      const c = companies.find((x) => x.id === m![1]);
      if (!c) return errorList(404, "company_not_found", "Company Not Found");
      Object.assign(c, b);
      return { status: 200, json: c };
    }
    m = /^\/contacts\/([^/]+)\/companies$/.exec(r.path);
    if (r.method === "POST" && m) {
      if (!contacts.some((x) => x.id === m![1])) return errorList(404, "not_found", "User Not Found");
      if (!companies.some((x) => x.id === b.id)) {
        return errorList(404, "company_not_found", "Company Not Found");
      }
      attachments.push([m[1], String(b.id)]);
      return { status: 200, json: { type: "company", id: b.id } };
    }
    if (r.method === "POST" && r.path === "/events") {
      if (!b.event_name || typeof b.created_at !== "number") {
        return errorList(400, "parameter_invalid", "event_name and created_at are required");
      }
      const known = contacts.some((c) =>
        (b.user_id && c.external_id === b.user_id) || (b.email && c.email === b.email)
      );
      if (!known) return errorList(404, "not_found", "User Not Found");
      events.push(b);
      return { status: 202, text: "" };
    }
    return errorList(404, "not_found", "Resource Not Found");
  }
  const s = startStandIn(function intercom(r) {
    if (r.headers.get("authorization") !== `Bearer ${INTERCOM_TOKEN}`) {
      return errorList(401, "unauthorized", "Access Token Invalid");
    }
    return handle(r);
  });
  return Object.assign(s, { contacts, companies, attachments, events });
}
