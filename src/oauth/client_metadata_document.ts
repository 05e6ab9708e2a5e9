import { checkedFetch } from "../net/checked_fetch.ts";
import { readBodyUpTo } from "../net/read_body.ts";
import type { Resolver } from "../net/resolve.ts";
import { FetchBlockedError, UnresolvedHostError } from "../net/url_guard.ts";
import { OAuthError } from "./errors.ts";
import { redirectUriProblem } from "./redirect_uris.ts";

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; how Claude Code and
 * VS Code arrive): the client_id is an https URL and the document it serves is the registration.
 */

/** Limits on fetching a document: a client_id URL may point anywhere, so its fetch is bounded. */
export const DOCUMENT_LIMITS = { maxBytes: 64 * 1024, timeoutMs: 5000 } as const;
const MIN_CACHE_S = 60;
const MAX_CACHE_S = 24 * 3600;
const DEFAULT_CACHE_S = 3600;

/** How documents are fetched; tests replace `resolve` and `fetch`, the defaults are the real ones. */
export interface DocumentFetchOptions {
  resolve?: Resolver;
  fetch?: typeof fetch;
}

/** What a valid document registers. */
export interface ClientDocument {
  clientName: string | null;
  redirectUris: string[];
  metadata: Record<string, unknown>;
  /** How long the document may be cached, from its Cache-Control (clamped to 1 minute .. 1 day). */
  maxAgeSeconds: number;
}

/** Whether a client_id is meant as a metadata document URL (an https URL with a path). */
export function isMetadataDocumentId(clientId: string): boolean {
  return clientId.startsWith("https://");
}

function invalid(clientId: string, why: string): OAuthError {
  return new OAuthError("invalid_client", `Client metadata document ${clientId}: ${why}`, { status: 400 });
}

/**
 * Checks the shape of a client_id URL (OAuth Client ID Metadata Document draft §3: https, a path, no
 * fragment, credentials or dot segments).
 */
export function documentUrlProblem(clientId: string): string | null {
  let u: URL;
  try {
    u = new URL(clientId);
  } catch {
    return "is not a URL";
  }
  if (u.protocol !== "https:") return "must use https";
  if (u.pathname === "/" || u.pathname === "") return "must have a path";
  if (u.hash || clientId.includes("#")) return "must not have a fragment";
  if (u.username || u.password) return "must not contain credentials";
  if (/\/\.\.?(\/|$)/.test(clientId.replace(/^https:\/\/[^/]+/, ""))) return "must not contain dot segments";
  if (u.port && u.port !== "443") return "must use the default https port";
  if (u.href !== clientId) return "must be in normalised form";
  return null;
}

function cacheSeconds(cacheControl: string | null): number {
  if (!cacheControl) return DEFAULT_CACHE_S;
  if (/no-store|no-cache/i.test(cacheControl)) return MIN_CACHE_S;
  const m = /max-age=(\d+)/i.exec(cacheControl);
  if (!m) return DEFAULT_CACHE_S;
  return Math.min(Math.max(Number(m[1]), MIN_CACHE_S), MAX_CACHE_S);
}

async function readLimited(res: Response, clientId: string): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > DOCUMENT_LIMITS.maxBytes) {
    await res.body?.cancel();
    throw invalid(clientId, "document is too large");
  }
  const { text, truncated } = await readBodyUpTo(res, DOCUMENT_LIMITS.maxBytes);
  if (truncated) throw invalid(clientId, "document is too large");
  return text;
}

/** Validates a fetched document against its URL; the reasons are the client developer's to fix. */
export function validateDocument(clientId: string, doc: unknown): Omit<ClientDocument, "maxAgeSeconds"> {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw invalid(clientId, "is not a JSON object");
  }
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId) throw invalid(clientId, "its client_id must equal the document URL");
  const method = d.token_endpoint_auth_method ?? "none";
  if (method !== "none") {
    throw invalid(clientId, `token_endpoint_auth_method "${method}" is not supported; use "none"`);
  }
  if (d.client_secret !== undefined || d.client_secret_expires_at !== undefined) {
    throw invalid(clientId, "must not contain a client_secret");
  }
  if (!Array.isArray(d.redirect_uris) || d.redirect_uris.length === 0) {
    throw invalid(clientId, "redirect_uris must be a non-empty array");
  }
  for (const uri of d.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw invalid(clientId, `redirect_uris: ${JSON.stringify(uri)} ${problem}`);
  }
  const name = typeof d.client_name === "string" && d.client_name.trim() ? d.client_name.slice(0, 200) : null;
  return { clientName: name, redirectUris: d.redirect_uris as string[], metadata: d };
}

/**
 * Fetches and validates a client metadata document: public addresses only (src/net/url_guard.ts; every
 * resolved address is checked), no redirects, 64 KiB and 5 s at most.
 */
export async function fetchClientDocument(
  clientId: string,
  { resolve, fetch: fetchFn }: DocumentFetchOptions = {},
): Promise<ClientDocument> {
  const problem = documentUrlProblem(clientId);
  if (problem) throw invalid(clientId, `the client_id URL ${problem}`);
  let res: Response;
  try {
    res = await checkedFetch(clientId, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(DOCUMENT_LIMITS.timeoutMs),
    }, { allowPrivateNetwork: false, resolve, fetch: fetchFn, maxRedirects: 0 });
  } catch (e) {
    if (e instanceof UnresolvedHostError) throw invalid(clientId, "its host does not resolve");
    if (e instanceof FetchBlockedError) {
      throw invalid(clientId, `its host is not a public address: ${e.reason}`);
    }
    throw invalid(clientId, `could not be fetched (${(e as Error).name})`);
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw invalid(clientId, `answered HTTP ${res.status}, a redirect: redirects are not followed`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw invalid(clientId, `answered HTTP ${res.status}`);
  }
  const text = await readLimited(res, clientId);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalid(clientId, "is not valid JSON");
  }
  return {
    ...validateDocument(clientId, doc),
    maxAgeSeconds: cacheSeconds(res.headers.get("cache-control")),
  };
}
