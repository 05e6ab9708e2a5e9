import type { Queryable } from "./db.ts";

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  is_admin: boolean;
  created_at: Date;
  updated_at: Date;
}

export async function insertUser(
  db: Queryable,
  u: { id: string; email: string; name?: string | null; passwordHash: string | null; isAdmin: boolean },
): Promise<UserRow> {
  const rows = await db.query<UserRow>(
    `insert into users (id, email, name, password_hash, is_admin) values ($1, $2, $3, $4, $5) returning *`,
    [u.id, u.email, u.name ?? null, u.passwordHash, u.isAdmin],
  );
  return rows[0];
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | null> {
  const rows = await db.query<UserRow>("select * from users where email = $1", [email.toLowerCase()]);
  return rows[0] ?? null;
}

export async function findUserById(db: Queryable, id: string): Promise<UserRow | null> {
  const rows = await db.query<UserRow>("select * from users where id = $1", [id]);
  return rows[0] ?? null;
}

export async function countUsers(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>("select count(*)::int as n from users");
  return Number(rows[0].n);
}

export async function setUserPassword(db: Queryable, id: string, passwordHash: string): Promise<void> {
  await db.query("update users set password_hash = $2, updated_at = now() where id = $1", [id, passwordHash]);
}
