import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Ctx, Deps } from "../deps.ts";
import {
  deleteExpiredSessions,
  deleteSession,
  findSession,
  insertSession,
  touchSession,
} from "../store/sessions_repo.ts";
import { touchDue } from "./credentials.ts";
import { hmacSha256Hex, randomToken, sha256Hex, timingSafeEqual } from "./crypto.ts";
import type { Principal } from "./principal.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "sluice_session";
// The login form has no session yet: its CSRF token is a double-submit cookie.
const LOGIN_CSRF_COOKIE = "sluice_login_csrf";
const SESSION_TTL_MS = 14 * 24 * 3600_000;

/** A logged-in browser: who it is and the session's id (a hash of the cookie value). */
export interface Session {
  id: string;
  userId: string;
  email: string;
  isAdmin: boolean;
}

function secure(deps: Deps): boolean {
  return deps.config.publicUrl.startsWith("https://");
}

/** Starts a session for `userId` and sets the cookie: HttpOnly, SameSite=Lax, Secure on https. */
export async function startSession(c: Context, deps: Deps, userId: string): Promise<void> {
  const value = randomToken(32);
  const now = deps.clock.now();
  await deleteExpiredSessions(deps.db, now);
  await insertSession(deps.db, {
    id: await sha256Hex(value),
    user_id: userId,
    created_at: now,
    expires_at: new Date(now.getTime() + SESSION_TTL_MS),
    last_seen_at: now,
  });
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    secure: secure(deps),
    sameSite: "Lax",
    path: "/",
    maxAge: SESSION_TTL_MS / 1000,
  });
}

/** The browser's live session, or null (no cookie, unknown, expired). */
export async function readSession(c: Context, deps: Deps): Promise<Session | null> {
  const value = getCookie(c, SESSION_COOKIE);
  if (!value || value.length > 200) return null;
  const id = await sha256Hex(value);
  const now = deps.clock.now();
  const row = await findSession(deps.db, id, now);
  if (!row) return null;
  if (touchDue(row.last_seen_at, now)) await touchSession(deps.db, id, now);
  return { id, userId: row.user_id, email: row.email, isAdmin: row.is_admin };
}

/** Ends the browser's session (deletes it server-side) and clears the cookie. */
export async function endSession(c: Context, deps: Deps): Promise<void> {
  const value = getCookie(c, SESSION_COOKIE);
  if (value) await deleteSession(deps.db, await sha256Hex(value));
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: secure(deps) });
}

/** The principal a session acts as: the user with full access (the same as their own API key). */
export function sessionPrincipal(s: Session): Principal {
  return {
    userId: s.userId,
    email: s.email,
    isAdmin: s.isAdmin,
    via: { kind: "session", sessionId: s.id },
    workspaceIds: null,
    canWrite: true,
  };
}

/** A service context for a page request made with a session. */
export function sessionCtx(deps: Deps, s: Session, requestId: string): Ctx {
  return { ...deps, principal: sessionPrincipal(s), requestId, channel: "ui" };
}

/** The CSRF token of a session's forms: an HMAC of the session id, so nothing extra is stored. */
export async function csrfToken(deps: Deps, s: Session): Promise<string> {
  const pepper = deps.secrets.pepper(deps.secrets.currentPepperId) ?? "";
  return (await hmacSha256Hex(pepper, `csrf:${s.id}`)).slice(0, 43);
}

/** Checks a submitted CSRF token against the session's, in constant time. */
export async function checkCsrf(deps: Deps, s: Session, submitted: unknown): Promise<boolean> {
  return typeof submitted === "string" && timingSafeEqual(submitted, await csrfToken(deps, s));
}

/** The login form's CSRF token: reuses or sets a double-submit cookie. */
export function loginCsrfToken(c: Context, deps: Deps): string {
  const existing = getCookie(c, LOGIN_CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken(32);
  setCookie(c, LOGIN_CSRF_COOKIE, token, {
    httpOnly: true,
    secure: secure(deps),
    sameSite: "Lax",
    path: "/login",
  });
  return token;
}

/** Checks the login form's token against its cookie, in constant time. */
export function checkLoginCsrf(c: Context, submitted: unknown): boolean {
  const cookie = getCookie(c, LOGIN_CSRF_COOKIE);
  return typeof submitted === "string" && !!cookie && timingSafeEqual(submitted, cookie);
}
