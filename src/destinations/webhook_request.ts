/**
 * What a webhook request is made of, apart from sending it: the body and header templates, the body's
 * signature, the URL as Live Events show it, and an answer's Retry-After.
 */
import { createHmac } from "node:crypto";

/** The header that carries the body's HMAC when no other is configured. */
export const DEFAULT_SIGNATURE_HEADER = "X-Webhook-Signature";

/** `sha256=<hex>`: HMAC-SHA256 of `body` keyed with `secret` (what a receiver recomputes and compares). */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
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
