import { secretHint } from "../auth/api_keys.ts";
import { newSecretHash } from "../auth/credentials.ts";
import { newId, randomToken } from "../auth/crypto.ts";
import type { Ctx } from "../deps.ts";
import { ConflictError, type FieldIssue, ValidationError } from "../errors.ts";
import type { Queryable } from "../store/db.ts";
import {
  deleteStreamKeys,
  insertStreamKey,
  listStreamKeys,
  rehashStreamKey,
  streamKeyIdTaken,
  type StreamKeyKind,
  type StreamKeyRow,
} from "../store/stream_keys_repo.ts";

/** A key as the stream schema accepts it. */
export interface KeyInput {
  id: string;
  plaintext?: string;
}

const LISTS = [["publicKeys", "browser"], ["privateKeys", "server"]] as const;

/**
 * Makes the stream's stored keys match the lists in `input` (Jitsu's semantics): a list that is
 * present is the full desired list; a key with `plaintext` is created (or gets that new secret), a
 * key with only `id` must already exist and is kept, a stored key left out is deleted. An absent list
 * leaves that kind of key alone. Returns the stream's keys afterwards.
 */
export async function syncStreamKeys(
  ctx: Ctx,
  tx: Queryable,
  stream: { workspaceId: string; id: string },
  input: { publicKeys?: KeyInput[]; privateKeys?: KeyInput[] },
  action: string,
): Promise<StreamKeyRow[]> {
  const existing = await listStreamKeys(tx, stream.workspaceId, [stream.id]);
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const [field, kind] of LISTS) {
    const list = input[field];
    if (!list) continue;
    const stored = existing.filter((k) => k.kind === kind);
    list.forEach((k, i) => {
      if (seen.has(k.id)) issues.push({ path: `${field}.${i}.id`, message: `duplicate key id "${k.id}"` });
      seen.add(k.id);
      const other = existing.find((e) => e.id === k.id && e.kind !== kind);
      if (other) {
        issues.push({ path: `${field}.${i}.id`, message: `"${k.id}" is a ${other.kind} key of this stream` });
      }
      if (!k.plaintext && !stored.some((s) => s.id === k.id)) {
        issues.push({ path: `${field}.${i}.plaintext`, message: "required for a new key" });
      }
    });
  }
  if (issues.length) {
    throw new ValidationError(
      `${action}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      issues,
    );
  }
  for (const [field, kind] of LISTS) {
    const list = input[field];
    if (!list) continue;
    const stored = existing.filter((k) => k.kind === kind);
    await deleteStreamKeys(
      tx,
      stream.workspaceId,
      stored.filter((s) => !list.some((k) => k.id === s.id)).map((s) => s.id),
    );
    for (const [i, k] of list.entries()) {
      if (!k.plaintext) continue;
      const h = await newSecretHash(ctx.secrets, k.plaintext);
      const hashed = { hint: secretHint(k.plaintext), salt: h.salt, hash: h.hash, pepper_id: h.pepperId };
      if (stored.some((s) => s.id === k.id)) {
        await rehashStreamKey(tx, { workspaceId: stream.workspaceId, id: k.id }, hashed);
        continue;
      }
      // Only this workspace's keys count: another workspace's key id is as free here as an unused one.
      if (await streamKeyIdTaken(tx, stream.workspaceId, k.id)) {
        throw new ConflictError(`${action}: key id "${k.id}" is already used by another stream`, {
          issues: [{ path: `${field}.${i}.id`, message: "already used by another stream" }],
        });
      }
      await insertKey(ctx, tx, stream, k.id, kind, hashed);
    }
  }
  return await listStreamKeys(tx, stream.workspaceId, [stream.id]);
}

async function insertKey(
  ctx: Ctx,
  tx: Queryable,
  stream: { workspaceId: string; id: string },
  id: string,
  kind: StreamKeyKind,
  h: { hint: string; salt: string; hash: string; pepper_id: string },
) {
  await insertStreamKey(tx, {
    id,
    workspace_id: stream.workspaceId,
    stream_id: stream.id,
    kind,
    ...h,
    created_at: ctx.clock.now(),
  });
}

/** Mints a server key for a new stream; its plaintext `keyId:secret` is returned this once only. */
export async function generateServerKey(
  ctx: Ctx,
  tx: Queryable,
  stream: { workspaceId: string; id: string },
): Promise<string> {
  const id = newId();
  const secret = randomToken(32);
  const h = await newSecretHash(ctx.secrets, secret);
  await insertKey(ctx, tx, stream, id, "server", {
    hint: secretHint(secret),
    salt: h.salt,
    hash: h.hash,
    pepper_id: h.pepperId,
  });
  return `${id}:${secret}`;
}
