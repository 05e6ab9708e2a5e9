import * as v from "valibot";
import { hashPassword } from "../auth/password.ts";
import { newId } from "../auth/crypto.ts";
import { ConflictError } from "../errors.ts";
import type { Queryable } from "../store/db.ts";
import { findUserByEmail, insertUser, type UserRow } from "../store/users_repo.ts";
import { parseInput } from "../validation.ts";

export const EmailSchema = v.pipe(
  v.string("must be a string"),
  v.trim(),
  v.toLowerCase(),
  v.email("must be an email address"),
);
export const PasswordSchema = v.pipe(
  v.string("must be a string"),
  v.minLength(8, "must be at least 8 characters"),
  v.maxLength(1024, "must be at most 1024 characters"),
);

const CreateUserInput = v.object({
  email: EmailSchema,
  password: v.nullable(PasswordSchema),
  isAdmin: v.optional(v.boolean(), false),
  name: v.optional(v.nullable(v.string())),
});

/** Creates a user; the password is stored only as a slow salted hash. 409 when the email is taken. */
export async function createUser(
  db: Queryable,
  input: v.InferInput<typeof CreateUserInput>,
): Promise<UserRow> {
  const u = parseInput(CreateUserInput, input, "Cannot create user");
  if (await findUserByEmail(db, u.email)) {
    throw new ConflictError(`Cannot create user: email "${u.email}" is taken`);
  }
  return await insertUser(db, {
    id: newId(),
    email: u.email,
    name: u.name ?? null,
    passwordHash: u.password === null ? null : await hashPassword(u.password),
    isAdmin: u.isAdmin,
  });
}

/** The public shape of a user: never the password hash. */
export function publicUser(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    isAdmin: u.is_admin,
    createdAt: u.created_at.toISOString(),
  };
}
