import type { Config } from "../config.ts";
import type { Db } from "../store/db.ts";
import { getOrInsertSetting, listSettings, listSettingsAnd, setSetting } from "../store/settings_repo.ts";
import { fromBase64, randomToken, sha256Hex, toBase64Url } from "./crypto.ts";

/**
 * Server-side secrets: the pepper mixed into API-key and token hashes, and the key that encrypts stored
 * credentials. Given in the environment, or generated once and kept in the store (never on disk beside
 * it, never logged), so a deployment with only DATABASE_URL needs nothing else.
 */
export interface Secrets {
  /** The id of the pepper new hashes use. */
  currentPepperId: string;
  /** Looks a pepper up by the id stored beside a hash; old peppers stay readable after rotation. */
  pepper(id: string): string | undefined;
  /** 32 bytes for AES-256-GCM. */
  encryptionKey: Uint8Array;
}

const PEPPER_PREFIX = "pepper:";
const CURRENT_PEPPER = "pepper:current";
const ENCRYPTION_KEY = "encryption_key";

async function envPepperId(value: string): Promise<string> {
  return `env-${(await sha256Hex(value)).slice(0, 12)}`;
}

/**
 * Loads (or on first start generates) the secrets. `SLUICE_PEPPER` may hold several comma-separated
 * peppers: the first is current, the rest still verify older keys (that is how an operator rotates it).
 */
export async function loadSecrets(
  db: Db,
  config: Pick<Config, "pepper" | "encryptionKey">,
): Promise<Secrets> {
  // Every stored secret in one query (the first queries of an embedded start are its costliest); a
  // missing one is inserted below, on the first start only.
  const stored = new Map<string, string>();
  const peppers = new Map<string, string>();
  for (const row of await listSettingsAnd(db, PEPPER_PREFIX, ENCRYPTION_KEY)) {
    stored.set(row.name, row.value);
    if (row.name === CURRENT_PEPPER) continue;
    if (row.name.startsWith(PEPPER_PREFIX)) peppers.set(row.name.slice(PEPPER_PREFIX.length), row.value);
  }
  let current: string;
  if (config.pepper) {
    const list = config.pepper.split(",").map((s) => s.trim()).filter(Boolean);
    for (const p of list.reverse()) peppers.set(await envPepperId(p), p);
    current = await envPepperId(list[list.length - 1]);
  } else {
    const storedCurrent = stored.get(CURRENT_PEPPER) ?? await getOrInsertSetting(db, CURRENT_PEPPER, "p1");
    if (!peppers.has(storedCurrent)) {
      peppers.set(
        storedCurrent,
        await getOrInsertSetting(db, PEPPER_PREFIX + storedCurrent, randomToken(32)),
      );
    }
    current = storedCurrent;
  }
  const encryptionKey = config.encryptionKey ? fromBase64(config.encryptionKey) : fromBase64(
    stored.get(ENCRYPTION_KEY) ??
      await getOrInsertSetting(db, ENCRYPTION_KEY, toBase64Url(crypto.getRandomValues(new Uint8Array(32)))),
  );
  return {
    currentPepperId: current,
    pepper: (id) => peppers.get(id),
    encryptionKey,
  };
}

/**
 * Makes a new stored pepper current. Existing keys keep verifying with their old pepper and are
 * re-hashed with the new one the next time they are used. Returns the new pepper's id.
 */
export async function rotateStoredPepper(db: Db): Promise<string> {
  return await db.transaction(async function rotate(tx) {
    const rows = await listSettings(tx, PEPPER_PREFIX);
    const n = rows.filter((r) => r.name !== "pepper:current").length + 1;
    const id = `p${n}`;
    await setSetting(tx, PEPPER_PREFIX + id, randomToken(32));
    await setSetting(tx, "pepper:current", id);
    return id;
  });
}
