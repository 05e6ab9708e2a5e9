import type { ApiKeyCache } from "./auth/key_cache.ts";
import type { Principal } from "./auth/principal.ts";
import type { Secrets } from "./auth/secrets.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import type { Db } from "./store/db.ts";

/** What the process has once: built by main.ts (or a test helper) and passed to createApp(). */
export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
  secrets: Secrets;
  /** API key rows, cached per instance (see key_cache.ts); revoking or editing a key invalidates it. */
  apiKeys: ApiKeyCache;
}

/** What a service call sees: the deps plus who is calling and the request's id for logs. */
export interface Ctx extends Deps {
  principal: Principal;
  requestId: string;
  /** Which face the call came through; recorded in the audit log. Absent means "rest". */
  channel?: "rest" | "mcp" | "cli" | "ui" | "pipeline";
}
