/** A small REST client over testApp() for the resource suites. */
import type { TestApp, TestUser } from "../_helpers/app.ts";

export interface Reply {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  headers: Headers;
}

export interface Client {
  call(method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** `/api/{ws}/config/...` of the user's workspace. */
  cfg(method: string, rest: string, json?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

export function client(t: TestApp, u: TestUser): Client {
  async function call(method: string, path: string, json?: unknown, headers: Record<string, string> = {}) {
    const res = await t.request(path, { method, headers: { authorization: u.auth, ...headers }, json });
    const text = await res.text();
    if (res.status !== 204 && !(res.headers.get("content-type") ?? "").includes("application/json")) {
      throw new Error(
        `expected JSON from ${method} ${path}, got ${res.headers.get("content-type")}: ${text}`,
      );
    }
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
  return {
    call,
    cfg: (method, rest, json, headers) =>
      call(method, `/api/${u.workspace.id}/config/${rest}`, json, headers),
  };
}

/** Asserts a status and returns the body; the error shows the body when it differs. */
// deno-lint-ignore no-explicit-any
export function expectStatus(r: Reply, status: number): any {
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export const PG_DESTINATION = {
  name: "Warehouse",
  destinationType: "postgres",
  host: "db.example.com",
  database: "analytics",
  username: "sluice",
  password: "pg-secret-Zq81",
};

export const FUNCTION_CODE = `export default async function(event, ctx) {
  event.properties = { ...event.properties, seen: ctx.props.GREETING };
  return event;
}`;
