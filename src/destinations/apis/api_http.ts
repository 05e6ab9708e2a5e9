/**
 * Requests to product and marketing APIs: every URL checked by src/net/url_guard.ts, `http://` only for a
 * loopback or private host and only when DESTINATIONS_ALLOW_PRIVATE_NETWORK is true, no redirects followed,
 * 429 and 5xx retried after the API's `Retry-After` (bounded, so a batch never outlives its lease), and the
 * API's own error text kept for Live Events. Requests go through src/net/http1_client.ts (keep-alive
 * HTTP/1.1, connecting to the addresses checked): fetch() cost several times its CPU a request, which the
 * APIs that take one request an event (GA4, June, Intercom, HubSpot) pay per event.
 */
import { classifyAddress, parseIp } from "../../net/address.ts";
import { headerLine, Http1Client, Http1TimeoutError, InvalidHeaderError } from "../../net/http1_client.ts";
import { resolveHost, type Resolver } from "../../net/resolve.ts";
import { checkUrl, FetchBlockedError, UnresolvedHostError } from "../../net/url_guard.ts";

/** How an API driver reaches its API; everything but `allowPrivateNetwork` is a test or bench seam. */
export interface ApiDriverOptions {
  /** DESTINATIONS_ALLOW_PRIVATE_NETWORK. */
  allowPrivateNetwork?: boolean;
  /** Replaces scheme, host and port of the API's documented URLs (tests' stand-ins); never a user setting. */
  baseUrl?: string;
  resolve?: Resolver;
  /** Waits before a retry; tests record the waits instead of sleeping. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Longest Retry-After honoured inside one delivery; a longer one fails the events as retryable. */
  maxRetryWaitMs?: number;
  /** Attempts per request, the first included. */
  attempts?: number;
  /** Requests of one delivery in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
  /** The connections' pool; the driver passes its own (closed with it). */
  client?: Http1Client;
}

/** One HTTP request to an API. */
export interface ApiRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What came back: the status and at most 64 KB of the body. */
export interface ApiResponse {
  status: number;
  text: string;
  headers: Headers;
}

/** A request that did not get an answer worth reading: refused address, network error, timeout. */
export class ApiTransportError extends Error {
  override name = "ApiTransportError";
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

const MAX_READ_BYTES = 64 * 1024;
const DEFAULT_MAX_WAIT_MS = 30_000;
const DEFAULT_ATTEMPTS = 3;

/** The documented URL, on the injected base when there is one. */
export function rebase(url: string, baseUrl: string | undefined): string {
  if (!baseUrl) return url;
  const u = new URL(url);
  const b = new URL(baseUrl);
  return `${b.origin}${b.pathname.replace(/\/$/, "")}${u.pathname}${u.search}`;
}

/** The URL as Live Events show it: origin and path, no query (GA4's api_secret travels there). */
export function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function waitFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const id = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(id);
      reject(signal.reason);
    }
    signal.addEventListener("abort", abort, { once: true });
  });
}

/** `Retry-After` as milliseconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const t = value.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The addresses of `url`'s host: an IP literal itself, else what the resolver answers. */
function addressesOf(url: URL, opts: ApiDriverOptions): Promise<string[]> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return parseIp(host) ? Promise.resolve([host]) : (opts.resolve ?? resolveHost)(host);
}

/**
 * Refuses `http://` to a public host: an API key must not cross the internet in clear text. Loopback and
 * private hosts (a self-hosted PostHog next to Sluice) may use http when private networks are allowed.
 * `addresses`: the host's, when already resolved.
 */
export async function checkApiScheme(url: URL, opts: ApiDriverOptions, addresses?: string[]): Promise<void> {
  if (url.protocol !== "http:") return;
  const found = addresses ?? await addressesOf(url, opts);
  const isPrivate = found.length > 0 && found.every((a) => !classifyAddress(a).public);
  if (!isPrivate || opts.allowPrivateNetwork !== true) {
    throw new FetchBlockedError(
      url.origin,
      "http:// is accepted only for a loopback or private host with DESTINATIONS_ALLOW_PRIVATE_NETWORK=true; " +
        "use https://",
    );
  }
}

function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500 || status === 408;
}

/**
 * Sends `req`, retrying 429/5xx after the API's Retry-After (or 1 s, 2 s, ...) while the wait fits in
 * `maxRetryWaitMs`. Resolves with the last answer; throws ApiTransportError when none came.
 */
export async function sendApiRequest(
  req: ApiRequest,
  opts: ApiDriverOptions,
  signal: AbortSignal,
): Promise<ApiResponse & { waitedMs: number[] }> {
  const url = rebase(req.url, opts.baseUrl);
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const maxWait = opts.maxRetryWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const sleep = opts.sleep ?? waitFor;
  const waitedMs: number[] = [];
  for (let attempt = 1;; attempt++) {
    let res: ApiResponse;
    try {
      res = await fetchOnce(url, req, opts, signal);
    } catch (e) {
      if (e instanceof ApiTransportError && e.retryable && attempt < attempts && !signal.aborted) {
        const ms = 1000 * attempt;
        if (ms <= maxWait) {
          waitedMs.push(ms);
          await sleep(ms, signal);
          continue;
        }
      }
      throw e;
    }
    if (!retryableStatus(res.status) || attempt >= attempts) return { ...res, waitedMs };
    const asked = retryAfterMs(res.headers.get("retry-after"));
    const ms = asked ?? 1000 * attempt;
    if (ms > maxWait) return { ...res, waitedMs };
    waitedMs.push(ms);
    try {
      await sleep(ms, signal);
    } catch {
      return { ...res, waitedMs };
    }
  }
}

let shared: Http1Client | null = null;

/** The pool of requests made without a driver's own (its connections close when idle). */
function sharedClient(): Http1Client {
  shared ??= new Http1Client();
  return shared;
}

const encoder = new TextEncoder();

async function fetchOnce(
  url: string,
  req: ApiRequest,
  opts: ApiDriverOptions,
  signal: AbortSignal,
): Promise<ApiResponse> {
  const target = shownUrl(url);
  const u = new URL(url);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  try {
    // The name is resolved once: the scheme check, the address check and the connection use the same answer.
    const addresses = await addressesOf(u, opts);
    await checkApiScheme(u, opts, addresses);
    await checkUrl(u, {
      allowPrivateNetwork: opts.allowPrivateNetwork === true,
      resolve: () => Promise.resolve(addresses),
      privateNetworkSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORK",
    });
    const headers: [string, string][] = [];
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      const line = headerLine(name, value);
      if (line) headers.push(line);
    }
    const method = req.method ?? "POST";
    const res = await (opts.client ?? sharedClient()).request({
      method,
      url: u,
      addresses,
      headers,
      body: req.body === undefined ? undefined : encoder.encode(req.body),
      timeoutMs,
      signal,
      maxBodyBytes: MAX_READ_BYTES,
    });
    return { status: res.status, text: res.text(), headers: res.headers() };
  } catch (e) {
    if (e instanceof FetchBlockedError) {
      throw new ApiTransportError(e.message, e instanceof UnresolvedHostError);
    }
    if (e instanceof InvalidHeaderError) {
      throw new ApiTransportError(`Cannot send to ${target}: ${e.message}`, false);
    }
    const why = e instanceof Http1TimeoutError
      ? "no answer in time"
      : signal.aborted
      ? "the server is shutting down"
      : (e as Error).message;
    throw new ApiTransportError(`Cannot reach ${target}: ${why}`, true);
  }
}
