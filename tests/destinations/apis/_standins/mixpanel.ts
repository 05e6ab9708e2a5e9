/**
 * Mixpanel stand-in, after Mixpanel's API reference: `POST /import?strict=1&project_id=` (service account
 * Basic auth, at most 2000 records, each with `event`, `properties.time`, `properties.distinct_id` (or
 * `$distinct_ids` for `$merge`) and an `$insert_id` of at most 36 of [A-Za-z0-9-]; strict mode answers
 * 400 with `failed_records` and imports the rest), `POST /engage` and `/groups` (`$token`, at most 2000
 * updates; verbose answers `{status, error}`), and `GET /api/app/me` (the service account's projects).
 */
import { type Answer, basicCredentials, type Seen, type StandIn, startStandIn } from "./server.ts";

export interface MixpanelStandIn extends StandIn {
  imported: Record<string, unknown>[];
  profiles: Record<string, unknown>[];
  groups: Record<string, unknown>[];
}

export const MIXPANEL_CREDS = {
  projectId: "3141592",
  projectToken: "tok-0123456789abcdef",
  serviceAccountUserName: "sluice.sa",
  serviceAccountPassword: "sa-secret-123",
};

const INSERT_ID = /^[A-Za-z0-9-]{1,36}$/;

export function mixpanelStandIn(): MixpanelStandIn {
  const imported: Record<string, unknown>[] = [];
  const profiles: Record<string, unknown>[] = [];
  const groups: Record<string, unknown>[] = [];
  const authorized = (r: Seen) => {
    const c = basicCredentials(r.headers);
    return c?.[0] === MIXPANEL_CREDS.serviceAccountUserName && c[1] === MIXPANEL_CREDS.serviceAccountPassword;
  };
  const unauthorized: Answer = {
    status: 401,
    json: { code: 401, error: "Unauthorized, invalid username or secret", status: "error" },
  };
  function importRecords(r: Seen): Answer {
    if (!authorized(r)) return unauthorized;
    if (r.query.get("project_id") !== MIXPANEL_CREDS.projectId) {
      return {
        status: 401,
        json: { code: 401, error: "project_id does not match the service account", status: "error" },
      };
    }
    if (!Array.isArray(r.json)) {
      return { status: 400, json: { code: 400, error: "data must be an array", status: "Bad Request" } };
    }
    if (r.json.length > 2000) {
      return {
        status: 400,
        json: { code: 400, error: "request exceeds max limit of 2000 records", status: "Bad Request" },
      };
    }
    const failed: Record<string, unknown>[] = [];
    let ok = 0;
    r.json.forEach((rec: Record<string, unknown>, index: number) => {
      const p = (rec?.properties ?? {}) as Record<string, unknown>;
      const problem = typeof rec?.event !== "string" || !rec.event
        ? ["event", "'event' must be a non-empty string"]
        : typeof p.time !== "number"
        ? ["properties.time", "'properties.time' must be a number"]
        : !INSERT_ID.test(String(p.$insert_id ?? ""))
        ? ["properties.$insert_id", "'properties.$insert_id' must be 1-36 alphanumeric characters or -"]
        : rec.event !== "$merge" && typeof p.distinct_id !== "string"
        ? ["properties.distinct_id", "'properties.distinct_id' must be a string"]
        : null;
      if (problem) failed.push({ index, $insert_id: p.$insert_id, field: problem[0], message: problem[1] });
      else {
        imported.push(rec);
        ok++;
      }
    });
    if (r.query.get("strict") === "1" && failed.length) {
      return {
        status: 400,
        json: {
          code: 400,
          error: "some data points in the request failed validation",
          failed_records: failed,
          num_records_imported: ok,
          status: "Bad Request",
        },
      };
    }
    return { status: 200, json: { code: 200, num_records_imported: ok, status: "OK" } };
  }
  function updates(r: Seen, into: Record<string, unknown>[]): Answer {
    if (!Array.isArray(r.json) || r.json.length > 2000) {
      return { status: 400, json: { status: 0, error: "data must be an array of at most 2000 updates" } };
    }
    if (r.json.some((u: Record<string, unknown>) => u.$token !== MIXPANEL_CREDS.projectToken)) {
      return { status: 200, json: { status: 0, error: "$token, missing or empty" } };
    }
    into.push(...r.json);
    return { status: 200, json: { status: 1, error: null } };
  }
  const s = startStandIn(function mixpanel(r) {
    if (r.method === "POST" && r.path === "/import") return importRecords(r);
    if (r.method === "POST" && r.path === "/engage") return updates(r, profiles);
    if (r.method === "POST" && r.path === "/groups") return updates(r, groups);
    if (r.method === "GET" && r.path === "/api/app/me") {
      if (!authorized(r)) return unauthorized;
      return {
        status: 200,
        json: {
          status: "ok",
          results: { id: 1, projects: { [MIXPANEL_CREDS.projectId]: { name: "Site" } } },
        },
      };
    }
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { imported, profiles, groups });
}
