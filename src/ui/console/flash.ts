/*
 * A stream's new write key carried from the POST that made it to the page it redirects to
 * (POST-redirect-GET), shown once: encrypted with the server key and bound to the session, like
 * src/ui/new_key_flash.ts, for two minutes at most; the page that shows it clears it. A new member's
 * invite link travels the same way to the Members page.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { decryptJson, encryptJson } from "../../auth/encryption.ts";
import type { Session } from "../../auth/sessions.ts";
import type { Deps } from "../../deps.ts";

const COOKIE = "sluice_console_key";
const TTL_MS = 2 * 60_000;

/** What a stream page shows once. */
export interface NewWriteKey {
  streamId: string;
  kind: "browser" | "server";
  key: string;
}

function secure(deps: Deps) {
  return deps.config.publicUrl.startsWith("https://");
}

/** Keeps the key for the next page of this session. */
export async function putWriteKey(c: Context, deps: Deps, s: Session, key: NewWriteKey): Promise<void> {
  const sealed = { ...key, expiresAt: deps.clock.now().getTime() + TTL_MS };
  setCookie(c, COOKIE, await encryptJson(deps.secrets.encryptionKey, sealed, `console-key:${s.id}`), {
    httpOnly: true,
    secure: secure(deps),
    sameSite: "Strict",
    path: "/",
    maxAge: TTL_MS / 1000,
  });
}

/** Takes the key for `streamId` (once); undefined when absent, foreign, old or another stream's. */
export async function takeWriteKey(
  c: Context,
  deps: Deps,
  s: Session,
  streamId: string,
): Promise<NewWriteKey | undefined> {
  const value = getCookie(c, COOKIE);
  if (value === undefined || value.length > 4096) return undefined;
  deleteCookie(c, COOKIE, { path: "/", secure: secure(deps) });
  try {
    const k = await decryptJson<NewWriteKey & { expiresAt: number }>(
      deps.secrets.encryptionKey,
      value,
      `console-key:${s.id}`,
    );
    if (!(k.expiresAt > deps.clock.now().getTime()) || k.streamId !== streamId) return undefined;
    return { streamId: k.streamId, kind: k.kind, key: k.key };
  } catch {
    return undefined;
  }
}

const INVITE_COOKIE = "sluice_console_invite";

/** An invite link carried to the Members page that follows the POST which made it (shown once). */
export interface NewInviteLink {
  email: string;
  link: string;
}

/** Keeps the invite link for the next page of this session (encrypted, session-bound, two minutes). */
export async function putInviteLink(
  c: Context,
  deps: Deps,
  s: Session,
  invite: NewInviteLink,
): Promise<void> {
  const sealed = { ...invite, expiresAt: deps.clock.now().getTime() + TTL_MS };
  setCookie(
    c,
    INVITE_COOKIE,
    await encryptJson(deps.secrets.encryptionKey, sealed, `console-invite:${s.id}`),
    { httpOnly: true, secure: secure(deps), sameSite: "Strict", path: "/", maxAge: TTL_MS / 1000 },
  );
}

/** Takes the invite link (once); undefined when absent, foreign or old. */
export async function takeInviteLink(c: Context, deps: Deps, s: Session): Promise<NewInviteLink | undefined> {
  const value = getCookie(c, INVITE_COOKIE);
  if (value === undefined || value.length > 4096) return undefined;
  deleteCookie(c, INVITE_COOKIE, { path: "/", secure: secure(deps) });
  try {
    const k = await decryptJson<NewInviteLink & { expiresAt: number }>(
      deps.secrets.encryptionKey,
      value,
      `console-invite:${s.id}`,
    );
    if (!(k.expiresAt > deps.clock.now().getTime())) return undefined;
    return { email: k.email, link: k.link };
  } catch {
    return undefined;
  }
}
