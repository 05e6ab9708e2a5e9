import type { Context } from "hono";
import { verifySecret } from "../auth/credentials.ts";
import type { Deps } from "../deps.ts";
import { findClient, type OAuthClientRow, upsertClient } from "../store/oauth_repo.ts";
import {
  type DocumentFetchOptions,
  fetchClientDocument,
  isMetadataDocumentId,
} from "./client_metadata_document.ts";
import { OAuthError } from "./errors.ts";

/**
 * The client a client_id names: a dynamically registered one from the store, or a metadata document
 * (from the cache while fresh, fetched again after). Null when unknown. A document that cannot be
 * fetched or is invalid throws invalid_client with the reason.
 */
export async function resolveClient(
  deps: Deps,
  clientId: string,
  options: DocumentFetchOptions = {},
): Promise<OAuthClientRow | null> {
  if (!clientId || clientId.length > 2000) return null;
  const now = deps.clock.now();
  if (!isMetadataDocumentId(clientId)) {
    const row = await findClient(deps.db, clientId);
    return row?.kind === "dynamic" ? row : null;
  }
  const cached = await findClient(deps.db, clientId);
  if (cached?.kind === "metadata_document" && cached.expires_at && cached.expires_at > now) return cached;
  const doc = await fetchClientDocument(clientId, options);
  return await upsertClient(deps.db, {
    id: clientId,
    kind: "metadata_document",
    name: doc.clientName,
    redirect_uris: doc.redirectUris,
    token_endpoint_auth_method: "none",
    secret_salt: null,
    secret_hash: null,
    secret_pepper_id: null,
    metadata: doc.metadata,
    registered_ip: null,
    created_at: cached?.created_at ?? now,
    expires_at: new Date(now.getTime() + doc.maxAgeSeconds * 1000),
  });
}

/** The client credentials a token or revocation request carries (RFC 6749 §2.3.1). */
interface PresentedCredentials {
  method: "none" | "client_secret_post" | "client_secret_basic";
  clientId: string;
  secret: string | null;
}

function presented(c: Context, params: URLSearchParams): PresentedCredentials {
  const header = c.req.header("authorization");
  if (header) {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!basic) {
      // An API key or access token is not client authentication: a Bearer header is refused, not ignored.
      throw new OAuthError("invalid_client", "Only HTTP Basic client authentication is accepted here", {
        status: 401,
      });
    }
    let decoded: string;
    try {
      decoded = atob(basic[1]);
    } catch {
      throw new OAuthError("invalid_client", "Malformed HTTP Basic credentials", {
        status: 401,
        basicChallenge: true,
      });
    }
    const i = decoded.indexOf(":");
    if (i < 0) {
      throw new OAuthError("invalid_client", "Malformed HTTP Basic credentials", {
        status: 401,
        basicChallenge: true,
      });
    }
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replaceAll("+", " "));
      } catch {
        return s;
      }
    };
    const clientId = dec(decoded.slice(0, i));
    const bodyId = params.get("client_id");
    if (params.has("client_secret") || (bodyId !== null && bodyId !== clientId)) {
      throw new OAuthError("invalid_request", "Use one client authentication method per request");
    }
    return { method: "client_secret_basic", clientId, secret: dec(decoded.slice(i + 1)) };
  }
  const clientId = params.get("client_id");
  if (!clientId) {
    throw new OAuthError("invalid_client", "Client authentication failed: client_id is missing", {
      status: 401,
    });
  }
  const secret = params.get("client_secret");
  return secret === null
    ? { method: "none", clientId, secret: null }
    : { method: "client_secret_post", clientId, secret };
}

/**
 * Authenticates the client of a token or revocation request with the method it registered (RFC 6749
 * §2.3, §3.2.1). Unknown client, wrong method or wrong secret: invalid_client with 401 (§5.2).
 */
export async function authenticateClient(
  deps: Deps,
  c: Context,
  params: URLSearchParams,
  options: DocumentFetchOptions = {},
): Promise<OAuthClientRow> {
  const creds = presented(c, params);
  const basic = creds.method === "client_secret_basic";
  const fail = (why: string) =>
    new OAuthError("invalid_client", `Client authentication failed: ${why}`, {
      status: 401,
      basicChallenge: basic,
    });
  let client: OAuthClientRow | null;
  try {
    client = await resolveClient(deps, creds.clientId, options);
  } catch {
    client = null;
  }
  if (!client) throw fail("unknown client");
  if (client.token_endpoint_auth_method !== creds.method) {
    throw fail(`this client authenticates with ${client.token_endpoint_auth_method}`);
  }
  if (creds.method !== "none") {
    const stored = client.secret_salt && client.secret_hash && client.secret_pepper_id
      ? { salt: client.secret_salt, hash: client.secret_hash, pepper_id: client.secret_pepper_id }
      : null;
    if (!await verifySecret(deps.secrets, { stored, secret: creds.secret! })) {
      throw fail("wrong client secret");
    }
  }
  return client;
}
