/*
 * A new API key's secret carried from `POST /user/keys` to the `GET /user` it redirects to, so a reload
 * never posts the form again (POST-redirect-GET) and the secret is still shown exactly once. It travels
 * in a cookie encrypted with the server key and bound to the session (a copy is useless elsewhere), for
 * two minutes at most, and the page that shows it clears it. Never in a URL, so never in a log line.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { decryptJson, encryptJson } from "../auth/encryption.ts";
import type { Session } from "../auth/sessions.ts";
import type { Deps } from "../deps.ts";

const COOKIE = "sluice_new_key";
const PATH = "/user";
const TTL_MS = 2 * 60_000;

/** What the page shows once. */
export interface NewKey {
  name: string | null;
  plaintext: string;
}

interface Sealed extends NewKey {
  expiresAt: number;
}

function context(s: Session): string {
  return `new-key:${s.id}`;
}

function secure(deps: Deps): boolean {
  return deps.config.publicUrl.startsWith("https://");
}

/** Stores the new key for the next `GET /user` of this session. */
export async function putNewKey(c: Context, deps: Deps, s: Session, key: NewKey): Promise<void> {
  const sealed: Sealed = {
    name: key.name,
    plaintext: key.plaintext,
    expiresAt: deps.clock.now().getTime() + TTL_MS,
  };
  setCookie(c, COOKIE, await encryptJson(deps.secrets.encryptionKey, sealed, context(s)), {
    httpOnly: true,
    secure: secure(deps),
    sameSite: "Strict",
    path: PATH,
    maxAge: TTL_MS / 1000,
  });
}

/** Takes the new key (once): clears the cookie whatever it held; undefined when absent, foreign or old. */
export async function takeNewKey(c: Context, deps: Deps, s: Session): Promise<NewKey | undefined> {
  const value = getCookie(c, COOKIE);
  if (value === undefined) return undefined;
  deleteCookie(c, COOKIE, { path: PATH, secure: secure(deps) });
  if (value.length > 4096) return undefined;
  let sealed: Sealed;
  try {
    sealed = await decryptJson<Sealed>(deps.secrets.encryptionKey, value, context(s));
  } catch {
    return undefined;
  }
  if (!(sealed.expiresAt > deps.clock.now().getTime())) return undefined;
  return { name: sealed.name, plaintext: sealed.plaintext };
}
