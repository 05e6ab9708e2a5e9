import type { Db } from "./db.ts";

/** One migration file: `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// An arbitrary constant shared by every Sluice instance: the key of the advisory lock that serialises
// concurrent migrators (two instances starting at once against one PostgreSQL).
const MIGRATION_LOCK_KEY = 727_001_42;

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

/**
 * Reads `src/store/migrations/*.sql` in version order. The folder is listed in the `compile` task's
 * `--include`, so the single executable reads the same files from its embedded file system.
 */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const out: Migration[] = [];
  for (const m of await listMigrations(dir)) {
    out.push({
      ...m,
      sql: await Deno.readTextFile(new URL(`${versionLabel(m.version)}_${m.name}.sql`, dir)),
    });
  }
  return out;
}

/**
 * The migrations' versions and names, from the file names alone: a start on an up-to-date store reads no
 * SQL. Throws when a version is missing.
 */
async function listMigrations(dir: URL): Promise<{ version: number; name: string }[]> {
  const out: { version: number; name: string }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(entry.name);
    if (!entry.isFile || !m) continue;
    out.push({ version: Number(m[1]), name: m[2] });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 0; i < out.length; i++) {
    if (out[i].version !== i + 1) {
      throw new Error(
        `Cannot migrate: migration ${i + 1} is missing (found ${out[i].version}_${out[i].name})`,
      );
    }
  }
  return out;
}

/** `7` -> `"0007"`: how versions are written in file names and messages. */
export function versionLabel(version: number): string {
  return String(version).padStart(4, "0");
}

/**
 * Applies every pending migration in one transaction under a transaction-scoped advisory lock, so two
 * instances migrating at once wait for each other instead of racing. Returns the versions applied.
 * `onApply` hears of each migration as it starts, so a slow first start is not a silent one.
 */
export async function migrate(
  db: Db,
  migrations?: Migration[],
  { onApply }: { onApply?: (m: { version: number; name: string }) => void } = {},
): Promise<number[]> {
  // The check needs only how many migrations there are; their SQL is read when one is pending.
  if (await allApplied(db, migrations ?? await listMigrations(MIGRATIONS_DIR))) return [];
  const all = migrations ?? await loadMigrations();
  return await db.transaction(async function applyPending(tx) {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.query(
      `create table if not exists schema_migrations (
         version int primary key, name text not null, applied_at timestamptz not null default now())`,
    );
    const rows = await tx.query<{ version: number }>("select version from schema_migrations");
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      onApply?.({ version: m.version, name: m.name });
      await tx.exec(m.sql);
      await tx.query("insert into schema_migrations (version, name) values ($1, $2)", [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/**
 * One query, without the lock and the transaction: true when every migration is recorded as applied,
 * the case of each start but the first after an upgrade. Anything else, including a store without
 * `schema_migrations` yet (the query then fails), goes the locked way of {@linkcode migrate}, which
 * reports real errors.
 */
async function allApplied(db: Db, all: readonly unknown[]): Promise<boolean> {
  try {
    // Versions are 1..N without gaps (loadMigrations checks it) and unique (the primary key), so a
    // count and a maximum of N mean exactly these N are applied.
    const [row] = await db.query<{ n: number; top: number }>(
      "select count(*)::int as n, coalesce(max(version), 0)::int as top from schema_migrations",
    );
    return Number(row?.n) === all.length && Number(row?.top) === all.length;
  } catch {
    return false;
  }
}
