import { resolve } from "node:path";
import type { Config } from "../config.ts";
import type { Db } from "./db.ts";

/** Thrown when the embedded data dir is in use by another process. */
export class StoreLockedError extends Error {
  override name = "StoreLockedError";
}

/** Thrown when a command that only uses a store finds none where the settings point. */
export class StoreMissingError extends Error {
  override name = "StoreMissingError";
}

type StoreConfig = Pick<
  Config,
  "databaseUrl" | "databasePoolMax" | "databaseStatementPoolMax" | "dataDir" | "publicUrl"
>;

/**
 * Opens the store the config names: PostgreSQL with DATABASE_URL, else the embedded PGlite in DATA_DIR
 * (created when missing: `serve` and `migrate` start from nothing).
 * The embedded store can be opened by one process at a time: a lock file guards the data dir, and a
 * second process (a CLI command while the server runs, or a second server) gets StoreLockedError.
 */
export async function openStore(config: StoreConfig): Promise<Db> {
  // Each driver is loaded only when used: PGlite's module alone costs a PostgreSQL instance's start
  // time (bench/startup.ts). The specifiers are literal, so `deno compile` still embeds both.
  if (config.databaseUrl) {
    const { openPostgres } = await import("./postgres.ts");
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
        `Either stop that server and run this command again, or do it in the browser: API keys at ` +
        `${config.publicUrl}/user. To run commands beside a server, use PostgreSQL (DATABASE_URL).`,
    );
  }
  try {
    const { openPglite } = await import("./pglite.ts");
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

/**
 * Opens a store that already exists, and never creates one: a command run from the wrong folder must
 * not leave a new empty `.sluice` behind and then report that nothing is in it. The error says where
 * it looked and which settings point elsewhere.
 */
export async function openExistingStore(config: StoreConfig): Promise<Db> {
  if (!config.databaseUrl) {
    const where = resolve(config.dataDir);
    if (!(await exists(`${config.dataDir}/pgdata/PG_VERSION`))) {
      throw new StoreMissingError(
        `No Sluice store in ${where} (DATA_DIR=${config.dataDir}). Run this command in the folder the ` +
          `server runs in, or set DATA_DIR to its store folder, or DATABASE_URL for PostgreSQL. ` +
          `\`sluice serve\` or \`sluice migrate\` create a new store.`,
      );
    }
    return await openStore(config);
  }
  const db = await openStore(config);
  try {
    const [row] = await db.query<{ t: string | null }>("select to_regclass('schema_migrations')::text as t");
    if (!row?.t) {
      throw new StoreMissingError(
        `The PostgreSQL database of DATABASE_URL has no Sluice tables. Check DATABASE_URL, or create ` +
          `them with \`sluice migrate\` (the server also does on start).`,
      );
    }
    return db;
  } catch (e) {
    await db.close();
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
