/**
 * A stream's `authorizedJavaScriptDomains` on browser endpoints, as Jitsu's `checkOrigin` reads it: a
 * comma-separated list of host names, each optionally with `http(s)://` and a trailing `/`; `*.example.com`
 * allows every subdomain and example.com itself; an empty list or `*` allows any origin, and so does a
 * request without an `Origin` header (not a browser's cross-site request). Ports are ignored on both sides.
 */

/** The host of an `Origin` header value (`https://a.example.com:8443` -> `a.example.com`). */
export function originHost(origin: string): string {
  const rest = origin.replace(/^https?:\/\//i, "").toLowerCase();
  if (rest.startsWith("[")) return rest.slice(0, rest.indexOf("]") + 1); // an IPv6 literal
  return rest.split(/[:/]/, 1)[0];
}

function rule(raw: string): string {
  const r = raw.trim();
  return r.startsWith("*") ? r.toLowerCase().replace(/[:/].*$/, "") : originHost(r);
}

function satisfies(filter: string, host: string): boolean {
  if (filter === "*") return true;
  if (filter.startsWith("*.")) return host.endsWith(filter.slice(1)) || host === filter.slice(2);
  return filter === host;
}

/**
 * Null when `origin` may send to a stream with `authorized` as its list, else the error to answer
 * (Jitsu's wording).
 */
export function refusedOrigin(authorized: string | null | undefined, origin: string | null): string | null {
  const list = (authorized ?? "").trim();
  if (list === "" || list === "*" || !origin) return null;
  const host = originHost(origin);
  const ok = list.split(",").some((r) => {
    const f = rule(r);
    return f !== "" && satisfies(f, host);
  });
  return ok ? null : `Origin ${host} is not authorized by: ${list}`;
}
