import type { ApiKeyCache } from "./auth/key_cache.ts";
import type { Principal } from "./auth/principal.ts";
import type { Secrets } from "./auth/secrets.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { IngestState } from "./ingest/writer.ts";
import type { WriteKeyCache } from "./ingest/write_key_cache.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics/registry.ts";
import type { Sandbox } from "./sandbox/sandbox.ts";
import type { Db } from "./store/db.ts";
import type { SyncRuns } from "./sync/sync_runs.ts";

/**
 * What one app has once: built by buildDeps() in compose.ts (through openDeps() for a server, a CLI
 * command or a test app), passed to createApp(), and closed by closeDeps(). Every cache and worker pool
 * lives here, never in a module, so two apps in one process share only what they are given.
 */
export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
  secrets: Secrets;
  /** API key rows, cached per instance (see key_cache.ts); revoking or editing a key invalidates it. */
  apiKeys: ApiKeyCache;
  /** Verified stream write keys, for a few seconds (see ingest/write_key.ts). */
  writeKeys: WriteKeyCache;
  /** The ingest writer (group commit) and its caches of queue depth and stream connections. */
  ingest: IngestState;
  /** The Functions runner processes, started on first use. */
  sandbox: Sandbox;
  /** Counters served by `GET /metrics` (see metrics/registry.ts). */
  metrics: Metrics;
  /** Sync runs in flight, stopped by closeDeps(). */
  syncRuns?: SyncRuns;
}

/** What a service call sees: the deps plus who is calling and the request's id for logs. */
export interface Ctx extends Deps {
  principal: Principal;
  requestId: string;
  /** Which face the call came through; recorded in the audit log. Absent means "rest". */
  channel?: "rest" | "mcp" | "cli" | "ui" | "pipeline";
}
