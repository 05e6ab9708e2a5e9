/**
 * Redirect URI rules (RFC 8252 §7, OAuth 2.1 §2.3.1 and §7.5.1):
 * - https anywhere; http only on loopback, where the port is ignored when matching (RFC 8252 §7.3)
 *   and `localhost`, `127.0.0.1` and `[::1]` are treated alike, the path and query exact;
 * - private-use schemes (`cursor://`, `vscode://`, `com.example.app:/cb`; RFC 8252 §7.1);
 * - never `javascript:`, `data:`, `file:` and the like, never a fragment (RFC 6749 §3.1.2).
 */

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const FORBIDDEN_SCHEMES = new Set([
  "javascript",
  "data",
  "file",
  "vbscript",
  "about",
  "blob",
  "filesystem",
  "ftp",
  "ws",
  "wss",
  "mailto",
  "tel",
  "chrome",
  "view-source",
]);

/** Why `uri` cannot be registered as a redirect URI, or null when it can. */
export function redirectUriProblem(uri: unknown): string | null {
  if (typeof uri !== "string" || uri === "") return "must be a non-empty string";
  if (uri.length > 2000) return "must be at most 2000 characters";
  if (uri.includes("#")) return "must not contain a fragment (RFC 6749 §3.1.2)";
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "must be an absolute URI";
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (FORBIDDEN_SCHEMES.has(scheme)) return `scheme "${scheme}:" is not allowed`;
  if (scheme === "https") return u.hostname ? null : "https URI needs a host";
  if (scheme === "http") {
    return LOOPBACK_HOSTS.has(u.hostname)
      ? null
      : "http is only allowed on loopback (localhost, 127.0.0.1, [::1]); use https (RFC 8252 §8.3)";
  }
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) return `scheme "${scheme}:" is not valid`;
  return null;
}

/** Whether `uri` is an http loopback redirect (shown with a warning on the consent page). */
export function isLoopbackRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === "http:" && LOOPBACK_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}

function loopbackMatch(registered: string, requested: string): boolean {
  let a: URL, b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  return a.protocol === "http:" && b.protocol === "http:" && LOOPBACK_HOSTS.has(a.hostname) &&
    LOOPBACK_HOSTS.has(b.hostname) && a.pathname === b.pathname && a.search === b.search &&
    a.username === "" && b.username === "" && a.password === "" && b.password === "";
}

/**
 * The redirect URI an authorization request may use: the requested one when it matches a registered
 * one (exact string, or loopback on any port), the only registered one when none is requested; else null.
 */
export function matchRedirectUri(registered: string[], requested: string | null | undefined): string | null {
  if (requested === undefined || requested === null || requested === "") {
    return registered.length === 1 ? registered[0] : null;
  }
  if (redirectUriProblem(requested) !== null) return null;
  for (const r of registered) {
    if (r === requested || loopbackMatch(r, requested)) return requested;
  }
  return null;
}
