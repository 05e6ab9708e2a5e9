/**
 * The `webhook` destination: each event as JSON (or a body template) to an HTTP endpoint, with the
 * configured method, headers and timeout. 2xx is success; 5xx, 408, 429, timeouts and network errors
 * are retryable (the endpoint may recover); other 4xx are not (the same request will fail again).
 * The URL is checked by src/net/url_guard.ts once per write() call (its requests all go to one URL): cloud
 * metadata is always refused, private addresses unless DESTINATIONS_ALLOW_PRIVATE_NETWORK. Requests go
 * through src/net/http1_client.ts, a keep-alive HTTP/1.1 pool that connects to the addresses checked (fetch()
 * cost two to four times its CPU a request, and resolved the name a second time). Redirects are not
 * followed (a failed delivery): a 301/302 would turn the POST into a GET and drop the event, so the operator
 * is asked for the final URL instead.
 *
 * Signing: with `signingSecret` set, every request carries `signatureHeader: sha256=<hex HMAC-SHA256 of
 * the exact body bytes, keyed with the secret>`, so the receiver can check who sent it and that the body
 * is intact. Header values are templates: `{{ env.NAME }}` is a functionsEnv value and
 * `{{ EVENT.a.b }}` a field of the event (control characters removed, so a value never splits a header).
 */
import { checkedFetch, type CheckedFetchOptions } from "../net/checked_fetch.ts";
import { headerLine, Http1Client, Http1TimeoutError, InvalidHeaderError } from "../net/http1_client.ts";
import type { Resolver } from "../net/resolve.ts";
import { checkUrl, FetchBlockedError, UnresolvedHostError } from "../net/url_guard.ts";
import { MASKED } from "../resources/base.ts";
import type { DestinationDriver, TestResult, WriteBatch, WriteResult } from "./driver.ts";
import {
  DEFAULT_SIGNATURE_HEADER,
  publicTarget,
  renderHeaderValue,
  renderPayload,
  retryAfterOf,
  signBody,
} from "./webhook_request.ts";

export {
  DEFAULT_SIGNATURE_HEADER,
  publicTarget,
  renderHeaderValue,
  renderPayload,
  retryAfterOf,
  signBody,
} from "./webhook_request.ts";

/**
 * Requests in flight per write() call, over keep-alive connections: enough to keep a fast local receiver
 * busy (8 measured 1,500-6,000 events/s against one answering at once, 32 up to 10,000 on a loaded 2-core
 * machine), few enough that a slow endpoint never gets hundreds of sockets. Events start in order; they may
 * arrive out of order (docs/pipeline.md, "Order").
 */
const CONCURRENCY = 32;
const MAX_ERROR_BODY = 300;
/** Bytes of an answer read at most: enough for an error message, never an endless body. */
const MAX_READ_BYTES = 4096;
const encoder = new TextEncoder();

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
  const method = typeof c.method === "string" ? c.method.toUpperCase() : "POST";
  if (!/^[A-Z]+$/.test(method)) {
    throw new Error(
      `Cannot send to webhook: method ${JSON.stringify(method.slice(0, 20))} is not an HTTP method`,
    );
  }
  return {
    url,
    method,
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

/** What one write() prepares once for all of its requests. */
interface Prepared {
  creds: WebhookCredentials;
  url: URL;
  /** The addresses the URL's host was checked to resolve to: the only ones connected to. */
  addresses: string[];
  target: string;
  custom: boolean;
  /** The configured headers, checked, when none is a template (nothing to render per request), else null. */
  fixedHeaders: [string, string][] | null;
  env: Record<string, unknown>;
}

/** Checks and completes a header list (content-type JSON unless configured); throws InvalidHeaderError. */
function headerLines(list: readonly [string, string][]): [string, string][] {
  const out: [string, string][] = [];
  let contentType = false;
  for (const [name, value] of list) {
    let line: [string, string] | null;
    try {
      line = headerLine(name, value);
    } catch {
      throw new InvalidHeaderError(`Cannot send to webhook: header "${name}" has an invalid name or value`);
    }
    if (!line) continue;
    if (line[0].toLowerCase() === "content-type") contentType = true;
    out.push(line);
  }
  if (!contentType) out.push(["content-type", "application/json"]);
  return out;
}

function prepare(creds: WebhookCredentials, env: Record<string, unknown>, addresses: string[]): Prepared {
  const templated = creds.headers.some(([, v]) => v.includes("{{"));
  if (creds.signingSecret) {
    try {
      headerLine(creds.signatureHeader, "x");
    } catch {
      throw new InvalidHeaderError(
        `Cannot send to webhook: signatureHeader "${creds.signatureHeader}" is not a valid header name`,
      );
    }
  }
  return {
    creds,
    url: new URL(creds.url),
    addresses,
    target: publicTarget(creds.url),
    custom: Boolean(creds.customPayload && creds.payload),
    fixedHeaders: templated ? null : headerLines(creds.headers),
    env,
  };
}

async function sendOne(
  client: Http1Client,
  p: Prepared,
  event: Record<string, unknown>,
  signal: AbortSignal,
  eventText: string | undefined,
): Promise<WriteResult> {
  const { creds, target, custom, env } = p;
  try {
    // The queued event's own text when no function changed it (equal to JSON.stringify(event)).
    const text = custom ? renderPayload(creds.payload!, event, env) : eventText ?? JSON.stringify(event);
    // Signed: the signature is of the exact bytes sent. Otherwise the client encodes the text itself, into
    // its connection's buffer.
    let body: Uint8Array | string | undefined = creds.method === "GET" ? undefined : text;
    let headers = p.fixedHeaders ??
      headerLines(creds.headers.map(([name, value]) => [name, renderHeaderValue(value, event, env)]));
    if (creds.signingSecret) {
      if (body !== undefined) body = encoder.encode(text);
      headers = [...headers, [creds.signatureHeader, signBody(creds.signingSecret, body ?? text)]];
    }
    // The URL was checked once for the whole write() (see webhookDriver); redirects are not followed.
    const res = await client.request({
      method: creds.method,
      url: p.url,
      addresses: p.addresses,
      headers,
      body,
      timeoutMs: creds.timeoutMs,
      signal,
      maxBodyBytes: MAX_READ_BYTES,
    });
    if (res.status >= 300 && res.status < 400) {
      return { status: "FAILED", target, retryable: false, error: redirectRefused(res.status) };
    }
    if (res.ok) {
      // Live Events are readable by analysts and read-only grants: show env values masked, never filled in.
      const shown = custom ? renderPayload(creds.payload!, event, maskedEnv(env)) : undefined;
      return { status: "SUCCESS", target, mappedData: shown };
    }
    const answer = res.text();
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    const retryAfterMs = retryable ? retryAfterOf(res.header("retry-after"), Date.now()) : undefined;
    return {
      status: "FAILED",
      target,
      retryable,
      error: `Webhook answered ${res.status} ${res.statusText}${
        answer ? `: ${answer.slice(0, MAX_ERROR_BODY)}` : ""
      }`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (e) {
    if (e instanceof InvalidHeaderError) {
      return { status: "FAILED", target, retryable: false, error: e.message };
    }
    const why = e instanceof Http1TimeoutError
      ? `no answer within ${creds.timeoutMs} ms`
      : signal.aborted
      ? "the server is shutting down"
      : (e as Error).message;
    return { status: "FAILED", target, retryable: true, error: `Cannot reach webhook ${target}: ${why}` };
  }
}

function guard(opts: WebhookOptions): CheckedFetchOptions {
  return {
    allowPrivateNetwork: opts.allowPrivateNetwork ?? true,
    resolve: opts.resolve,
    privateNetworkSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORK",
    maxRedirects: 0,
  };
}

function redirectRefused(status: number): string {
  return `Webhook answered ${status} (a redirect): redirects are not followed; set url to the final address`;
}

function maskedEnv(env: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(env).map((k) => [k, MASKED]));
}

/**
 * The webhook driver; private addresses are allowed unless `allowPrivateNetwork` is false. It keeps its
 * connections open between calls: close() (or `await using`) ends them.
 */
export function webhookDriver(opts: WebhookOptions = {}): DestinationDriver & AsyncDisposable {
  const client = new Http1Client();
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
      const target = publicTarget(creds.url);
      let p: Prepared;
      try {
        // Once per call, not per request: every request of the call goes to this URL.
        const addresses = await checkUrl(new URL(creds.url), guard(opts));
        p = prepare(creds, env, addresses);
      } catch (e) {
        // A refused address stays refused, and so does a bad header; a name that does not resolve (DNS
        // outage) may resolve later.
        const retryable = !(e instanceof FetchBlockedError || e instanceof InvalidHeaderError) ||
          e instanceof UnresolvedHostError;
        const error = retryable
          ? `Cannot reach webhook ${target}: ${(e as Error).message}`
          : (e as Error).message;
        return batch.events.map(() => ({ status: "FAILED", target, retryable, error }));
      }
      const results: WriteResult[] = new Array(batch.events.length);
      let next = 0;
      async function lane() {
        while (next < batch.events.length) {
          const i = next++;
          results[i] = await sendOne(client, p, batch.events[i], batch.signal, batch.eventText?.(i));
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
    close(): Promise<void> {
      client.close();
      return Promise.resolve();
    },
    [Symbol.asyncDispose](): Promise<void> {
      client.close();
      return Promise.resolve();
    },
  };
}
