import { decryptJson, encryptJson } from "../auth/encryption.ts";
import type { Deps } from "../deps.ts";
import { destinationType } from "../resources/destinations/catalog.ts";
import { RESOURCES, type ResourceType } from "../resources/registry.ts";
import { joinSecrets, type SecretEntry, splitSecrets } from "../resources/secrets.ts";
import type { ConfigObjectRow } from "../store/resources_repo.ts";
import type { StreamKeyRow } from "../store/stream_keys_repo.ts";

/** A key as every response shows it: never the secret, never the hash (Jitsu's listed shape). */
export function publicStreamKey(k: StreamKeyRow) {
  return {
    id: k.id,
    hint: k.hint,
    createdAt: k.created_at.toISOString(),
    lastUsed: k.last_used_at?.toISOString() ?? null,
  };
}

/**
 * The object as every face returns it: its own fields (secrets masked), then `id`, `workspaceId`,
 * `type` and the timestamps. A connection's `type` is push/sync (Jitsu's link shape); a destination
 * says whether Sluice can deliver to it; a stream lists its keys.
 */
export function publicObject(row: ConfigObjectRow, keys: StreamKeyRow[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: row.id,
    workspaceId: row.workspace_id,
    type: row.type,
    // Fixed leading keys: jsonb stores keys in its own order, and people read these first.
    name: row.name,
    ...row.config,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.type === "connection") out.type = row.subtype;
  if (row.type === "destination") {
    out.deliverable = destinationType(String(row.subtype))?.deliverable ?? false;
  }
  if (row.type === "stream") {
    out.publicKeys = keys.filter((k) => k.kind === "browser").map(publicStreamKey);
    out.privateKeys = keys.filter((k) => k.kind === "server").map(publicStreamKey);
  }
  return out;
}

/** The stored content with its secrets decrypted: for merges and for the pipeline, never for output. */
export async function plainConfig(
  deps: Pick<Deps, "secrets">,
  row: ConfigObjectRow,
): Promise<Record<string, unknown>> {
  if (!row.secrets) return row.config;
  const secrets = await decryptJson<SecretEntry[]>(deps.secrets.encryptionKey, row.secrets, row.id);
  return joinSecrets(row.config, secrets);
}

/** Splits validated content into the masked config to store and the ciphertext of its secrets. */
export async function sealConfig(
  deps: Pick<Deps, "secrets">,
  type: ResourceType,
  id: string,
  content: Record<string, unknown>,
): Promise<{ config: Record<string, unknown>; secrets: string | null }> {
  const { masked, secrets } = splitSecrets(content, RESOURCES[type].secrets(content));
  return {
    config: masked,
    secrets: secrets.length ? await encryptJson(deps.secrets.encryptionKey, secrets, id) : null,
  };
}

/** Keeps only `fields` of an object (unknown names are ignored). */
export function pickFields(obj: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in obj) out[f] = obj[f];
  return out;
}
