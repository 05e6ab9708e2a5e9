import { fromBase64, toBase64Url } from "./crypto.ts";

// One imported CryptoKey per raw key: importKey is async and not free, and the server key never changes.
// Module-level on purpose, unlike the caches in Deps: a pure memo of a value derived from its own key
// object, so two apps can never see different answers, and it goes when the key bytes are collected.
const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  let k = keys.get(raw);
  if (!k) {
    if (raw.length !== 32) throw new Error(`Cannot encrypt: the key must be 32 bytes, got ${raw.length}`);
    k = crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(raw, k);
  }
  return k;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const VERSION = "v1";

/**
 * Encrypts `plaintext` with AES-256-GCM under `key` and a fresh 96-bit IV (NIST SP 800-38D §8.2.2).
 * `context` is bound as additional authenticated data (for example the object id), so a ciphertext
 * copied onto another row fails to decrypt. Returns `v1.<base64url(iv || ciphertext+tag)>`.
 */
export async function encryptText(key: Uint8Array, plaintext: string, context = ""): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: enc.encode(context) },
      await aesKey(key),
      enc.encode(plaintext),
    ),
  );
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return `${VERSION}.${toBase64Url(out)}`;
}

/** Reverses {@linkcode encryptText}; throws when the key, the context or the ciphertext is wrong. */
export async function decryptText(key: Uint8Array, sealed: string, context = ""): Promise<string> {
  const dot = sealed.indexOf(".");
  if (dot < 0 || sealed.slice(0, dot) !== VERSION) {
    throw new Error("Cannot decrypt: unknown ciphertext format");
  }
  const bytes = fromBase64(sealed.slice(dot + 1));
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: enc.encode(context) },
      await aesKey(key),
      bytes.slice(12),
    );
    return dec.decode(pt);
  } catch (e) {
    throw new Error("Cannot decrypt: wrong key or tampered ciphertext", { cause: e });
  }
}

/** JSON convenience over {@linkcode encryptText}. */
export async function encryptJson(key: Uint8Array, value: unknown, context = ""): Promise<string> {
  return await encryptText(key, JSON.stringify(value), context);
}

/** JSON convenience over {@linkcode decryptText}. */
export async function decryptJson<T = unknown>(key: Uint8Array, sealed: string, context = ""): Promise<T> {
  return JSON.parse(await decryptText(key, sealed, context)) as T;
}
