/**
 * The `webhook` destination: each event as JSON (or a body template) to an HTTP endpoint, with the
 * configured method, headers and timeout. 2xx is success; 5xx, 408, 429, timeouts and network errors
 * are retryable (the endpoint may recover); other 4xx are not (the same request will fail again).
 */
import type { DestinationDriver, TestResult, WriteBatch, WriteResult } from "./driver.ts";

/** Requests in flight per batch: keeps order roughly and a slow endpoint from opening hundreds of sockets. */
const CONCURRENCY = 8;
const MAX_ERROR_BODY = 300;

interface WebhookCredentials {
  url: string;
  method: string;
  headers: [string, string][];
  customPayload: boolean;
  payload: string | null;
  timeoutMs: number;
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
  };
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

async function sendOne(
  creds: WebhookCredentials,
  event: Record<string, unknown>,
  env: Record<string, unknown>,
  signal: AbortSignal,
): Promise<WriteResult> {
  const target = publicTarget(creds.url);
  const body = creds.customPayload && creds.payload
    ? renderPayload(creds.payload, event, env)
    : JSON.stringify(event);
  const headers = new Headers(creds.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  const timeout = AbortSignal.timeout(creds.timeoutMs);
  try {
    const res = await fetch(creds.url, {
      method: creds.method,
      headers,
      body: creds.method === "GET" ? undefined : body,
      signal: AbortSignal.any([signal, timeout]),
    });
    const text = await res.text().catch(() => "");
    if (res.ok) return { status: "SUCCESS", target, mappedData: creds.customPayload ? body : undefined };
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    return {
      status: "FAILED",
      target,
      retryable,
      error: `Webhook answered ${res.status} ${res.statusText}${
        text ? `: ${text.slice(0, MAX_ERROR_BODY)}` : ""
      }`,
    };
  } catch (e) {
    const why = timeout.aborted
      ? `no answer within ${creds.timeoutMs} ms`
      : signal.aborted
      ? "the server is shutting down"
      : (e as Error).message;
    return { status: "FAILED", target, retryable: true, error: `Cannot reach webhook ${target}: ${why}` };
  }
}

/** The webhook driver. */
export function webhookDriver(): DestinationDriver {
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
      const results: WriteResult[] = new Array(batch.events.length);
      let next = 0;
      async function lane() {
        while (next < batch.events.length) {
          const i = next++;
          results[i] = await sendOne(creds, batch.events[i], env, batch.signal);
        }
      }
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batch.events.length) }, lane));
      return results;
    },
    async test(credentials, { signal }): Promise<TestResult> {
      try {
        const creds = parseCredentials(credentials);
        // A HEAD would skip endpoints that only accept POST; any HTTP answer proves the URL is reachable.
        const res = await fetch(creds.url, {
          method: "OPTIONS",
          signal: AbortSignal.any([signal, AbortSignal.timeout(creds.timeoutMs)]),
        });
        await res.body?.cancel();
        return { ok: true };
      } catch (e) {
        return { ok: false, error: `Cannot reach webhook: ${(e as Error).message}` };
      }
    },
  };
}
