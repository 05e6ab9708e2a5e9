import type { Queryable } from "./db.ts";

export async function getSetting(db: Queryable, name: string): Promise<string | null> {
  const rows = await db.query<{ value: string }>("select value from settings where name = $1", [name]);
  return rows[0]?.value ?? null;
}

/**
 * Stores `value` unless `name` is already set, and returns whichever value won (safe under races). Reads
 * first: every start but the first finds its settings there, and a read is cheaper than a write that
 * does nothing (on a fresh PGlite, the first insert cost about 0.13 s of its start).
 */
export async function getOrInsertSetting(db: Queryable, name: string, value: string): Promise<string> {
  const existing = await getSetting(db, name);
  if (existing !== null) return existing;
  await db.query("insert into settings (name, value) values ($1, $2) on conflict (name) do nothing", [
    name,
    value,
  ]);
  return (await getSetting(db, name))!;
}

export async function setSetting(db: Queryable, name: string, value: string): Promise<void> {
  await db.query(
    "insert into settings (name, value) values ($1, $2) on conflict (name) do update set value = excluded.value",
    [name, value],
  );
}

export async function listSettings(
  db: Queryable,
  prefix: string,
): Promise<{ name: string; value: string }[]> {
  return await db.query("select name, value from settings where name like $1 order by created_at", [
    `${prefix}%`,
  ]);
}

/** The settings named `prefix`... plus the one named `name`, in one query (oldest first). */
export async function listSettingsAnd(
  db: Queryable,
  prefix: string,
  name: string,
): Promise<{ name: string; value: string }[]> {
  return await db.query(
    "select name, value from settings where name like $1 or name = $2 order by created_at",
    [`${prefix}%`, name],
  );
}
