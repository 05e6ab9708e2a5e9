import type { Config } from "../config.ts";
import type { Db } from "./db.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** Thrown when the embedded data dir is in use by another process. */
export class StoreLockedError extends Error {
  override name = "StoreLockedError";
}

/**
 * Opens the store the config names: PostgreSQL with DATABASE_URL, else the embedded PGlite in DATA_DIR.
 * The embedded store can be opened by one process at a time: a lock file guards the data dir, and a
 * second process (a CLI command while the server runs, or a second server) gets StoreLockedError.
 */
export async function openStore(
  config: Pick<Config, "databaseUrl" | "databasePoolMax" | "databaseStatementPoolMax" | "dataDir">,
): Promise<Db> {
  if (config.databaseUrl) {
    return openPostgres(config.databaseUrl, {
      max: config.databasePoolMax,
      statementMax: config.databaseStatementPoolMax,
    });
  }
  await Deno.mkdir(config.dataDir, { recursive: true });
  const lockPath = `${config.dataDir}/sluice.lock`;
  const lockFile = await Deno.open(lockPath, { read: true, write: true, create: true });
  if (!(await lockFile.tryLock(true))) {
    lockFile.close();
    throw new StoreLockedError(
      `The embedded store in ${config.dataDir} is in use by another Sluice process (a running server?). ` +
        `Stop it first, or point DATABASE_URL at PostgreSQL to run several processes.`,
    );
  }
  try {
    const db = await openPglite({ dataDir: `${config.dataDir}/pgdata` });
    return {
      ...db,
      async close() {
        await db.close();
        await lockFile.unlock();
        lockFile.close();
      },
    };
  } catch (e) {
    lockFile.close();
    throw e;
  }
}
