/**
 * fetch() for URLs given by someone else: the URL is checked (src/net/url_guard.ts) before connecting,
 * and redirects are followed by hand so every hop is checked the same way.
 *
 * Known limit: the name is resolved here and again by fetch(), so a DNS answer that changes between the
 * two (rebinding) is not caught. Deno's fetch cannot be pinned to a resolved address over TLS (its "tcp"
 * proxy transport pins plain http only).
 */
import { checkUrl, FetchBlockedError, type UrlGuardOptions } from "./url_guard.ts";

export interface CheckedFetchOptions extends UrlGuardOptions {
  /** Redirects followed, each one checked; with 0 a redirect is returned to the caller as it is. */
  maxRedirects?: number;
  /** Test seam: the fetch that performs each hop. */
  fetch?: typeof fetch;
}

/** A request whose body can be sent again on a redirect that keeps the method (307, 308). */
export interface CheckedRequest {
  method?: string;
  headers?: HeadersInit;
  body?: string;
  signal?: AbortSignal;
}

const DEFAULT_MAX_REDIRECTS = 5;
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];
const BODY_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
];

/** Fetches `url` after checking it and every redirect hop; throws FetchBlockedError when one is refused. */
export async function checkedFetch(
  url: string | URL,
  req: CheckedRequest,
  opts: CheckedFetchOptions,
): Promise<Response> {
  const fetchFn = opts.fetch ?? fetch;
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let current = new URL(url);
  let method = (req.method ?? "GET").toUpperCase();
  let body = req.body;
  const headers = new Headers(req.headers);
  for (let hops = 0;; hops++) {
    await checkUrl(current, opts);
    const res = await fetchFn(current, { method, headers, body, redirect: "manual", signal: req.signal });
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location || maxRedirects === 0) return res;
    await res.body?.cancel();
    if (hops >= maxRedirects) {
      throw new FetchBlockedError(new URL(url).origin, `more than ${maxRedirects} redirects`);
    }
    const next = new URL(location, current);
    // Credentials are for the origin they were given to (fetch spec, "HTTP-redirect fetch" step 13).
    if (next.origin !== current.origin) { for (const h of CREDENTIAL_HEADERS) headers.delete(h); }
    // The fetch spec's method change: 303 always, 301/302 for POST; the body goes with the method.
    if (
      (res.status === 303 && method !== "HEAD") ||
      ((res.status === 301 || res.status === 302) && method === "POST")
    ) {
      method = "GET";
      body = undefined;
      for (const h of BODY_HEADERS) headers.delete(h);
    }
    current = next;
  }
}
