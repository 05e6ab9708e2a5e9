/**
 * An in-process Sluice for tests: real services, real store (in-memory PGlite by default), no socket.
 * `t.request()` goes through `app.request()`; users, workspaces and API keys are one call each.
 */
import { createApp } from "../../src/app.ts";
import { cliPrincipal } from "../../src/auth/principal.ts";
import { type Clock, systemClock } from "../../src/clock.ts";
import { closeDeps, openDeps } from "../../src/compose.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import type { Ctx, Deps } from "../../src/deps.ts";
import { memoryLogger } from "../../src/log.ts";
import { createApiKey } from "../../src/services/api_keys.ts";
import { createUser } from "../../src/services/users.ts";
import { createWorkspace } from "../../src/services/workspaces.ts";
import type { Db } from "../../src/store/db.ts";
import { testPglite } from "./db.ts";

export const TEST_ENV = {
  PUBLIC_URL: "http://localhost:3000",
  SLUICE_PEPPER: "test-pepper-0123456789abcdef",
  LOG_LEVEL: "debug",
};

export interface TestUser {
  id: string;
  email: string;
  /** `Authorization` header value with a fresh personal API key. */
  auth: string;
  /** The key's `keyId:keySecret`. */
  key: string;
  /** A workspace the user owns. */
  workspace: { id: string; slug: string | null; name: string };
  /** Service context acting as this user (CLI-like principal). */
  ctx: Ctx;
}

export interface TestApp {
  deps: Deps;
  app: ReturnType<typeof createApp>;
  /** Every log line written, as JSON text (for no-secret-in-logs assertions). */
  logLines: string[];
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** A user with an API key and an owned workspace. */
  user(email?: string, options?: { admin?: boolean; slug?: string }): Promise<TestUser>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * Builds a test app. Pass `db` to use another store (e.g. testPostgres()), `clock` to control time,
 * `sameDbAs` for a second app on another app's very store object (its close() leaves the store open).
 */
export async function testApp(
  { db, clock = systemClock, env = {}, sameDbAs }: {
    db?: Db;
    clock?: Clock;
    env?: Record<string, string>;
    sameDbAs?: TestApp;
  } = {},
): Promise<TestApp> {
  const config: Config = loadConfig({ ...TEST_ENV, ...env });
  const log = memoryLogger();
  const deps = await openDeps(config, { db: sameDbAs?.deps.db ?? db ?? await testPglite(), log, clock });
  const app = createApp(deps);
  return {
    deps,
    app,
    logLines: log.lines,
    request(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      return Promise.resolve(
        app.request(path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body }),
      );
    },
    async user(email, { admin = false, slug } = {}) {
      const n = ++counter;
      const row = await createUser(deps.db, {
        email: email ?? `user${n}-${crypto.randomUUID().slice(0, 8)}@example.com`,
        password: null,
        isAdmin: admin,
      });
      const ctx: Ctx = {
        ...deps,
        principal: { ...cliPrincipal(row), via: { kind: "cli" } },
        requestId: `test-${n}`,
      };
      const workspace = await createWorkspace(ctx, { name: `Workspace ${n}`, slug: slug ?? null });
      const key = await createApiKey(ctx, { name: "test" });
      return {
        id: row.id,
        email: row.email,
        auth: `Bearer ${key.plaintext}`,
        key: key.plaintext,
        workspace,
        ctx,
      };
    },
    async close() {
      await closeDeps(deps, { keepDb: sameDbAs !== undefined });
    },
  };
}

/** Reads a JSON response after asserting its status; fails with the body when the status differs. */
// deno-lint-ignore no-explicit-any
export async function expectJson(res: Response, status: number): Promise<any> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  if (!(res.headers.get("content-type") ?? "").includes("application/json")) {
    throw new Error(`expected JSON, got ${res.headers.get("content-type")}: ${text}`);
  }
  return JSON.parse(text);
}
