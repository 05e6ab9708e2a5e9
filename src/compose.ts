import { ApiKeyCache } from "./auth/key_cache.ts";
import { loadSecrets } from "./auth/secrets.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { createLogger, type Logger } from "./log.ts";
import type { Db } from "./store/db.ts";
import { migrate } from "./store/migrate.ts";
import { openStore } from "./store/open.ts";

/**
 * Opens the store, runs pending migrations and loads the server secrets: everything a server or a CLI
 * command needs. The caller closes `deps.db`.
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
    const apiKeys = new ApiKeyCache(store, clock, log, config.apiKeyCacheSeconds * 1000);
    return { config, db: store, clock, log, secrets, apiKeys };
  } catch (e) {
    await store.close();
    throw e;
  }
}
