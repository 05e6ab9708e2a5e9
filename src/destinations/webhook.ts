/**
 * The `webhook` destination: each event as JSON (or a body template) to an HTTP endpoint, with the
 * configured method, headers and timeout. 2xx is success; 5xx, 408, 429, timeouts and network errors
 * are retryable (the endpoint may recover); other 4xx are not (the same request will fail again).
 * Every URL is checked by src/net/checked_fetch.ts: cloud metadata is always refused, private addresses
 * unless DESTINATIONS_ALLOW_PRIVATE_NETWORK; once per write() call (its requests all go to one URL), not per
 * request. Redirects are not followed (a failed delivery): a 301/302
 * would turn the POST into a GET and drop the event, so the operator is asked for the final URL instead.
 *
 * Signing: with `signingSecret` set, every request carries `signatureHeader: sha256=<hex HMAC-SHA256 of
 * the exact body bytes, keyed with the secret>`, so the receiver can check who sent it and that the body
 * is intact. Header values are templates: `{{ env.NAME }}` is a functionsEnv value and
 * `{{ EVENT.a.b }}` a field of the event (control characters removed, so a value never splits a header).
 */
import { checkedFetch, type CheckedFetchOptions } from "../net/checked_fetch.ts";
import { readBodyUpTo } from "../net/read_body.ts";
import type { Resolver } from "../net/resolve.ts";
import { checkUrl, FetchBlockedError, UnresolvedHostError } from "../net/url_guard.ts";
import { MASKED } from "../resources/base.ts";
import type { DestinationDriver, TestResult, WriteBatch, WriteResult } from "./driver.ts";

/**
 * Requests in flight per write() call, over fetch's keep-alive connections: enough to keep a fast local
 * receiver busy (8 measured 1,500-6,000 events/s against one answering at once, 32 up to 10,000 on a loaded
 * 2-core machine), few enough that a slow endpoint never gets hundreds of sockets. Events start in order;
 * they may arrive out of order (docs/pipeline.md, "Order").
 */
const CONCURRENCY = 32;
const MAX_ERROR_BODY = 300;
/** Bytes of an answer read at most: enough for an error message, never an endless body. */
const MAX_READ_BYTES = 4096;

/** How the driver guards URLs; `resolve` is a test seam for DNS. */
export interface WebhookOptions {
  allowPrivateNetwork?: boolean;
  resolve?: Resolver;
}

interface WebhookCredentials {
  url: string;
  method: string;
  headers: [string, string][];
  customPayload: boolean;
  payload: string | null;
  timeoutMs: number;
  signingSecret: string | null;
  signatureHeader: string;
}

function parseCredentials(c: Record<string, unknown>): WebhookCredentials {
  const url = String(c.url ?? "");
  if (!/^https?:\/\//i.test(url)) {
    throw new Error(`Cannot send to webhook: url ${JSON.stringify(url)} is not http(s)`);
  }
  const headers: [string, string][] = [];
  for (const h of Array.isArray(c.headers) ? c.headers : []) {
    const i = String(h).indexOf(":");
    if (i > 0) headers.push([String(h).slice(0, i).trim(), String(h).slice(i + 1).trim()]);
  }
  return {
    url,
    method: typeof c.method === "string" ? c.method.toUpperCase() : "POST",
    headers,
    customPayload: c.customPayload === true,
    payload: typeof c.payload === "string" ? c.payload : null,
    timeoutMs: typeof c.timeoutMs === "number" ? c.timeoutMs : 10_000,
    signingSecret: typeof c.signingSecret === "string" && c.signingSecret ? c.signingSecret : null,
    signatureHeader: typeof c.signatureHeader === "string" && c.signatureHeader
      ? c.signatureHeader
      : DEFAULT_SIGNATURE_HEADER,
  };
}

/** The header that carries the body's HMAC when no other is configured. */
export const DEFAULT_SIGNATURE_HEADER = "X-Webhook-Signature";

/** `sha256=<hex>`: HMAC-SHA256 of `body` keyed with `secret` (what a receiver recomputes and compares). */
export async function signBody(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body));
  return `sha256=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function fieldAt(event: unknown, path: string): unknown {
  let cur: unknown = event;
  for (const part of path.split(".")) {
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Fills a header value template: `{{ env.NAME }}` and `{{ EVENT.path }}`; control characters dropped. */
export function renderHeaderValue(template: string, event: unknown, env: Record<string, unknown>): string {
  return template.replace(
    /\{\{\s*(?:env\.([A-Za-z0-9_]+)|EVENT\.([A-Za-z0-9_$.-]+))\s*\}\}/g,
    (_m, name?: string, path?: string) => {
      const v = name ? env[name] : fieldAt(event, path!);
      const text = v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
      // deno-lint-ignore no-control-regex
      return text.replace(/[\u0000-\u001f\u007f]/g, "");
    },
  );
}

/** The URL as shown in Live Events: no user info, no query (either may carry a token). */
export function publicTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid url)";
  }
}

/** Fills `{{ EVENT }}` with the event JSON and `{{ env.NAME }}` with a functionsEnv value. */
export function renderPayload(template: string, event: unknown, env: Record<string, unknown>): string {
  return template.replace(
    /\{\{\s*(EVENT|env\.([A-Za-z0-9_]+))\s*\}\}/g,
    (_m, what: string, name?: string) => {
      if (what === "EVENT") return JSON.stringify(event);
      const v = env[name!];
      return v === undefined || v === null ? "" : String(v);
    },
  );
}

/** A configured header that fetch cannot send: the same request would fail again, so not retried. */
class InvalidHeaderError extends Error {
  override name = "InvalidHeaderError";
}

/** Builds the request headers; the message of a bad one names the header, never its (secret) value. */
function buildHeaders(list: [string, string][]): Headers {
  const headers = new Headers();
  for (const [name, value] of list) {
    try {
      headers.append(name, value);
    } catch {
      throw new InvalidHeaderError(`Cannot send to webhook: header "${name}" has an invalid name or value`);
    }
  }
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return headers;
}

function guard(opts: WebhookOptions): CheckedFetchOptions {
  return {
    allowPrivateNetwork: opts.allowPrivateNetwork ?? true,
    resolve: opts.resolve,
    privateNetworkSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORK",
    maxRedirects: 0,
  };
}

/** What one write() prepares once for all of its requests. */
interface Prepared {
  creds: WebhookCredentials;
  target: string;
  custom: boolean;
  /** The configured headers when none is a template (nothing to render per request), else null. */
  fixedHeaders: [string, string][] | null;
  env: Record<string, unknown>;
}

function prepare(creds: WebhookCredentials, env: Record<string, unknown>): Prepared {
  const templated = creds.headers.some(([, v]) => v.includes("{{"));
  return {
    creds,
    target: publicTarget(creds.url),
    custom: Boolean(creds.customPayload && creds.payload),
    fixedHeaders: templated ? null : creds.headers,
    env,
  };
}

async function sendOne(
  p: Prepared,
  event: Record<string, unknown>,
  signal: AbortSignal,
): Promise<WriteResult> {
  const { creds, target, custom, env } = p;
  const body = custom ? renderPayload(creds.payload!, event, env) : JSON.stringify(event);
  // A timer cleared as soon as the request ends, and no AbortSignal.any() on the long-lived shutdown signal:
  // AbortSignal.timeout() kept each request (body, headers, signals) reachable until its timer fired, 10 s
  // later by default, which was most of the memory of a draining backlog (a heap snapshot: 40,000 pending
  // timers after 40,000 deliveries).
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new DOMException(`no answer within ${creds.timeoutMs} ms`, "TimeoutError"));
  }, creds.timeoutMs);
  const onShutdown = () => ac.abort(signal.reason);
  if (signal.aborted) onShutdown();
  else signal.addEventListener("abort", onShutdown, { once: true });
  try {
    const headers = buildHeaders(
      p.fixedHeaders ?? creds.headers.map(([name, value]) => [name, renderHeaderValue(value, event, env)]),
    );
    if (creds.signingSecret) {
      try {
        headers.set(creds.signatureHeader, await signBody(creds.signingSecret, body));
      } catch {
        throw new InvalidHeaderError(
          `Cannot send to webhook: signatureHeader "${creds.signatureHeader}" is not a valid header name`,
        );
      }
    }
    // The URL was checked once for the whole write() (see webhookDriver); redirects are not followed.
    const res = await fetch(creds.url, {
      method: creds.method,
      headers,
      body: creds.method === "GET" ? undefined : body,
      redirect: "manual",
      signal: ac.signal,
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      return {
        status: "FAILED",
        target,
        retryable: false,
        error: redirectRefused(res.status),
      };
    }
    if (res.ok) {
      await drain(res);
      // Live Events are readable by analysts and read-only grants: show env values masked, never filled in.
      const shown = custom ? renderPayload(creds.payload!, event, maskedEnv(env)) : undefined;
      return { status: "SUCCESS", target, mappedData: shown };
    }
    const { text } = await readBodyUpTo(res, MAX_READ_BYTES).catch(() => ({ text: "" }));
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    const retryAfterMs = retryable ? retryAfterOf(res.headers.get("retry-after"), Date.now()) : undefined;
    return {
      status: "FAILED",
      target,
      retryable,
      error: `Webhook answered ${res.status} ${res.statusText}${
        text ? `: ${text.slice(0, MAX_ERROR_BODY)}` : ""
      }`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (e) {
    if (e instanceof InvalidHeaderError) {
      return { status: "FAILED", target, retryable: false, error: e.message };
    }
    const why = timedOut
      ? `no answer within ${creds.timeoutMs} ms`
      : signal.aborted
      ? "the server is shutting down"
      : (e as Error).message;
    return { status: "FAILED", target, retryable: true, error: `Cannot reach webhook ${target}: ${why}` };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onShutdown);
  }
}

/**
 * Reads a successful answer's body so its connection goes back to the keep-alive pool: whole when it
 * says it is small (the usual `ok`), else at most MAX_READ_BYTES, the rest cancelled.
 */
async function drain(res: Response): Promise<void> {
  const length = Number(res.headers.get("content-length") ?? NaN);
  try {
    if (length <= MAX_READ_BYTES) await res.arrayBuffer();
    else await readBodyUpTo(res, MAX_READ_BYTES);
  } catch {
    // The answer was a success; a body cut short changes nothing.
  }
}

/** Longest Retry-After honoured (a day, as the pipeline's longest backoff). */
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/** A Retry-After header (seconds, or an HTTP date) as milliseconds from `now`, or undefined. */
export function retryAfterOf(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

function redirectRefused(status: number): string {
  return `Webhook answered ${status} (a redirect): redirects are not followed; set url to the final address`;
}

function maskedEnv(env: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(env).map((k) => [k, MASKED]));
}

/** The webhook driver; private addresses are allowed unless `allowPrivateNetwork` is false. */
export function webhookDriver(opts: WebhookOptions = {}): DestinationDriver {
  return {
    type: "webhook",
    modes: ["stream", "batch"],
    async write(batch: WriteBatch): Promise<WriteResult[]> {
      let creds: WebhookCredentials;
      try {
        creds = parseCredentials(batch.destination.credentials);
      } catch (e) {
        return batch.events.map(() => ({ status: "FAILED", retryable: false, error: (e as Error).message }));
      }
      const env = (batch.connection.options.functionsEnv ?? {}) as Record<string, unknown>;
      const p = prepare(creds, env);
      try {
        // Once per call, not per request: every request of the call goes to this URL.
        await checkUrl(new URL(creds.url), guard(opts));
      } catch (e) {
        // A refused address stays refused; a name that does not resolve (DNS outage) may resolve later.
        const retryable = !(e instanceof FetchBlockedError) || e instanceof UnresolvedHostError;
        const error = retryable
          ? `Cannot reach webhook ${p.target}: ${(e as Error).message}`
          : (e as Error).message;
        return batch.events.map(() => ({ status: "FAILED", target: p.target, retryable, error }));
      }
      const results: WriteResult[] = new Array(batch.events.length);
      let next = 0;
      async function lane() {
        while (next < batch.events.length) {
          const i = next++;
          results[i] = await sendOne(p, batch.events[i], batch.signal);
        }
      }
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batch.events.length) }, lane));
      return results;
    },
    async test(credentials, { signal }): Promise<TestResult> {
      try {
        const creds = parseCredentials(credentials);
        // A HEAD would skip endpoints that only accept POST; any HTTP answer proves the URL is reachable.
        const res = await checkedFetch(creds.url, {
          method: "OPTIONS",
          signal: AbortSignal.any([signal, AbortSignal.timeout(creds.timeoutMs)]),
        }, guard(opts));
        await res.body?.cancel();
        if (res.status >= 300 && res.status < 400) return { ok: false, error: redirectRefused(res.status) };
        return { ok: true };
      } catch (e) {
        return { ok: false, error: `Cannot reach webhook: ${(e as Error).message}` };
      }
    },
  };
}
