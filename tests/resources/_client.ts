/** A small REST client over testApp() for the resource suites. */
import { type TestApp, testApp, type TestUser } from "../_helpers/app.ts";

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

/** A create's answer without what differs between any two creates (ids, times, minted keys). */
export function shape(body: Record<string, unknown>): Record<string, unknown> {
  const {
    id: _i,
    createdAt: _c,
    updatedAt: _u,
    writeKey,
    privateKeys,
    publicKeys,
    fromId: _f,
    toId: _t,
    ...rest
  } = body;
  return {
    ...rest,
    writeKey: typeof writeKey,
    privateKeys: Array.isArray(privateKeys) ? privateKeys.length : privateKeys,
    publicKeys: Array.isArray(publicKeys) ? publicKeys.length : publicKeys,
  };
}

/** A test app with two users, each in a workspace of their own. */
export async function twoWorkspaces(fn: (t: TestApp, a: TestUser, b: TestUser) => Promise<void>) {
  const t = await testApp();
  try {
    await fn(t, await t.user(), await t.user());
  } finally {
    await t.close();
  }
}
