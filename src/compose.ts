import { ApiKeyCache } from "./auth/key_cache.ts";
import { loadSecrets, type Secrets } from "./auth/secrets.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Config } from "./config.ts";
import { SyncRuns } from "./sync/sync_runs.ts";
import type { Deps } from "./deps.ts";
import { newIngestState } from "./ingest/writer.ts";
import { newWriteKeyCache } from "./ingest/write_key_cache.ts";
import { createLogger, type Logger } from "./log.ts";
import { Metrics } from "./metrics/registry.ts";
import { Sandbox, sandboxOptions, type WarehouseQueries } from "./sandbox/sandbox.ts";
import type { Db } from "./store/db.ts";
import { migrate } from "./store/migrate.ts";
import { openStore } from "./store/open.ts";

/**
 * `ctx.warehouse` queries (the warehouse clients and the destinations' config) load on a function's
 * first query. Not a literal, for the reason given at SERVE_MODULE in src/cli/run.ts; `deno compile`
 * embeds it through `--include`.
 */
const WAREHOUSE_QUERIES_MODULE = "./sandbox/warehouse_queries.ts";

function lazyWarehouseQueries(deps: Pick<Deps, "db" | "secrets">): WarehouseQueries {
  let loading: Promise<WarehouseQueries> | null = null;
  function load(): Promise<WarehouseQueries> {
    loading ??= (import(WAREHOUSE_QUERIES_MODULE) as Promise<typeof import("./sandbox/warehouse_queries.ts")>)
      .then((m) => m.warehouseQueries(deps), (e) => {
        loading = null; // a failed load is tried again by the next query
        throw e;
      });
    return loading;
  }
  return {
    async query(workspaceId, destinationId, sql, params, timeoutMs) {
      return await (await load()).query(workspaceId, destinationId, sql, params, timeoutMs);
    },
    async close() {
      // Never loaded: no client to close.
      if (loading) await (await loading.catch(() => null))?.close();
    },
  };
}

/**
 * Opens the store, runs pending migrations and loads the server secrets: everything a server or a CLI
 * command needs. The caller ends with {@linkcode closeDeps}.
 */
export async function openDeps(
  config: Config,
  { log = createLogger({ level: config.logLevel, format: config.logFormat }), clock = systemClock, db }: {
    log?: Logger;
    clock?: Clock;
    db?: Db;
  } = {},
): Promise<Deps> {
  const store = db ?? await openStore(config);
  try {
    const applied = await migrate(store, undefined, { onApply: (m) => log.info("applying migration", m) });
    if (applied.length) log.info("applied migrations", { versions: applied });
    const secrets = await loadSecrets(store, config);
    return buildDeps({ config, db: store, clock, log, secrets });
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * The one place a Deps is assembled: the given store, settings and secrets, plus a fresh set of this
 * app's in-process state (key caches, ingest writer, Functions sandbox). Nothing here does I/O or starts
 * a timer: the sandbox starts runner processes and the API key cache subscribes on first use.
 */
export function buildDeps(
  { config, db, clock, log, secrets }: {
    config: Config;
    db: Db;
    clock: Clock;
    log: Logger;
    secrets: Secrets;
  },
): Deps {
  return {
    config,
    db,
    clock,
    log,
    secrets,
    apiKeys: new ApiKeyCache(db, clock, log, config.apiKeyCacheSeconds * 1000),
    writeKeys: newWriteKeyCache(),
    ingest: newIngestState(db),
    sandbox: new Sandbox({
      ...sandboxOptions(config, log),
      warehouses: lazyWarehouseQueries({ db, secrets }),
    }),
    metrics: new Metrics(),
    syncRuns: new SyncRuns(),
  };
}

/**
 * Stops what {@linkcode buildDeps} built, then closes the store: the runner processes, the events
 * accepted but not yet committed, and the API key cache's subscription. `keepDb` leaves the store open
 * for another app that shares it.
 */
export async function closeDeps(deps: Deps, { keepDb = false }: { keepDb?: boolean } = {}): Promise<void> {
  try {
    await deps.syncRuns?.stop();
    await deps.sandbox.close();
    await deps.ingest.writer.close();
    await deps.apiKeys.close();
  } finally {
    if (!keepDb) await deps.db.close();
  }
}
