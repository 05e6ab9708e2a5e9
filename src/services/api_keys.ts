import * as v from "valibot";
import { secretHint } from "../auth/api_keys.ts";
import { newSecretHash } from "../auth/credentials.ts";
import { newId, randomToken } from "../auth/crypto.ts";
import type { Ctx } from "../deps.ts";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import {
  type ApiKeyRow,
  insertApiKey,
  listApiKeys as listApiKeyRows,
  revokeApiKey as revokeApiKeyRow,
  updateApiKey as updateApiKeyRow,
} from "../store/api_keys_repo.ts";
import { parseInput } from "../validation.ts";

const ExpiresAt = v.nullable(
  v.pipe(
    v.string("must be an ISO date string or null"),
    v.isoTimestamp("must be an ISO 8601 timestamp, e.g. 2027-01-01T00:00:00Z"),
  ),
);

export const ApiKeyCreateInput = v.object({
  name: v.optional(
    v.nullable(v.pipe(v.string("must be a string"), v.maxLength(200, "at most 200 characters"))),
  ),
  /** ISO timestamp; null or absent: never expires (what CI wants). */
  expiresAt: v.optional(ExpiresAt),
});

export const ApiKeyUpdateInput = v.object({
  name: ApiKeyCreateInput.entries.name,
  expiresAt: v.optional(ExpiresAt),
});

/** The listed shape of a key: never the secret, never the hash. */
export function publicApiKey(k: ApiKeyRow) {
  return {
    id: k.id,
    name: k.name,
    hint: k.hint,
    createdAt: k.created_at.toISOString(),
    lastUsed: k.last_used_at?.toISOString() ?? null,
    expiresAt: k.expires_at?.toISOString() ?? null,
  };
}

function futureDate(ctx: Ctx, iso: string | null | undefined, action: string): Date | null | undefined {
  if (iso === undefined || iso === null) return iso;
  const d = new Date(iso);
  if (d.getTime() <= ctx.clock.now().getTime()) {
    throw new ValidationError(`${action}: expiresAt: must be in the future`, [
      { path: "expiresAt", message: "must be in the future" },
    ]);
  }
  return d;
}

function requireOwnCredential(ctx: Ctx, action: string) {
  // Keys are minted by the user themself (their session, the CLI, or another of their keys), not by an
  // OAuth client: a connected app must not be able to mint a credential that outlives its grant.
  if (ctx.principal.via.kind === "oauth") {
    throw new ForbiddenError(`${action}: OAuth connections cannot manage API keys`);
  }
}

/**
 * Creates a personal API key for the caller. The plaintext `keyId:keySecret` is in the result once and
 * is never stored: only a salted, peppered hash is.
 */
export async function createApiKey(ctx: Ctx, input: unknown) {
  const action = "Cannot create API key";
  requireOwnCredential(ctx, action);
  const data = parseInput(ApiKeyCreateInput, input ?? {}, action);
  const expiresAt = futureDate(ctx, data.expiresAt, action) ?? null;
  const id = newId();
  const secret = randomToken(32);
  const h = await newSecretHash(ctx.secrets, secret);
  const row = await insertApiKey(ctx.db, {
    id,
    user_id: ctx.principal.userId,
    name: data.name ?? null,
    hint: secretHint(secret),
    salt: h.salt,
    hash: h.hash,
    pepper_id: h.pepperId,
    created_at: ctx.clock.now(),
    expires_at: expiresAt,
  });
  return { ...publicApiKey(row), plaintext: `${id}:${secret}` };
}

export async function listApiKeys(ctx: Ctx) {
  return (await listApiKeyRows(ctx.db, ctx.principal.userId)).map(publicApiKey);
}

export async function updateApiKey(ctx: Ctx, id: string, input: unknown) {
  const action = `Cannot update API key "${id}"`;
  requireOwnCredential(ctx, action);
  const data = parseInput(ApiKeyUpdateInput, input ?? {}, action);
  const expiresAt = futureDate(ctx, data.expiresAt, action);
  const row = await updateApiKeyRow(ctx.db, id, ctx.principal.userId, { name: data.name, expiresAt });
  ctx.apiKeys.invalidate(id);
  if (!row) throw new NotFoundError(`API key "${id}" not found`);
  return publicApiKey(row);
}

/** Revokes one of the caller's keys; the next request with it gets 401. */
export async function revokeApiKey(ctx: Ctx, id: string) {
  requireOwnCredential(ctx, `Cannot revoke API key "${id}"`);
  const ok = await revokeApiKeyRow(ctx.db, id, ctx.principal.userId, ctx.clock.now());
  ctx.apiKeys.invalidate(id);
  if (!ok) throw new NotFoundError(`API key "${id}" not found`);
  return { id, revoked: true };
}
