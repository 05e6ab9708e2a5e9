import { newSecretHash } from "../auth/credentials.ts";
import { newId, randomToken } from "../auth/crypto.ts";
import type { Deps } from "../deps.ts";
import { countClientsFromIp, deleteUnusedClients, upsertClient } from "../store/oauth_repo.ts";
import { OAuthError } from "./errors.ts";
import { redirectUriProblem } from "./redirect_uris.ts";

/** Registration limits: registration is open, so it is rate-limited per IP and unused clients expire. */
export const REGISTRATION = {
  perIpPerHour: 30,
  unusedClientTtlMs: 30 * 24 * 3600_000,
  maxBodyBytes: 64 * 1024,
} as const;

const AUTH_METHODS = ["none", "client_secret_post", "client_secret_basic"] as const;
type AuthMethod = typeof AUTH_METHODS[number];
const GRANT_TYPES = new Set(["authorization_code", "refresh_token"]);

function metadataError(message: string): OAuthError {
  return new OAuthError("invalid_client_metadata", message);
}

function optionalString(d: Record<string, unknown>, name: string, max = 2000): string | undefined {
  const x = d[name];
  if (x === undefined || x === null) return undefined;
  if (typeof x !== "string" || x.length > max) {
    throw metadataError(`${name} must be a string of at most ${max} characters`);
  }
  return x;
}

function stringList(d: Record<string, unknown>, name: string, fallback: string[]): string[] {
  const x = d[name];
  if (x === undefined || x === null) return fallback;
  if (!Array.isArray(x) || !x.every((s) => typeof s === "string")) {
    throw metadataError(`${name} must be an array of strings`);
  }
  return x as string[];
}

/**
 * Dynamic client registration (RFC 7591 §3): the whole redirect set in one request; the requested
 * `token_endpoint_auth_method` is honoured (`none` gets no secret, the others get one, stored hashed).
 * Returns the 201 body (RFC 7591 §3.2.1) with the secret in plaintext, the only time it is shown.
 */
export async function registerClient(deps: Deps, body: unknown, ip: string) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw metadataError("The registration request must be a JSON object (RFC 7591 §3.1)");
  }
  const d = body as Record<string, unknown>;
  const method = (d.token_endpoint_auth_method ?? "client_secret_basic") as AuthMethod;
  if (!AUTH_METHODS.includes(method)) {
    throw metadataError(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(", ")}`);
  }
  const grantTypes = stringList(d, "grant_types", ["authorization_code"]);
  const unknownGrant = grantTypes.find((g) => !GRANT_TYPES.has(g));
  if (unknownGrant) throw metadataError(`grant_types: "${unknownGrant}" is not supported`);
  const responseTypes = stringList(d, "response_types", ["code"]);
  if (responseTypes.some((r) => r !== "code")) {
    throw metadataError('response_types: only "code" is supported');
  }
  const redirectUris = stringList(d, "redirect_uris", []);
  if (redirectUris.length === 0 || redirectUris.length > 20) {
    throw new OAuthError("invalid_redirect_uri", "redirect_uris must list 1 to 20 URIs (RFC 7591 §2)");
  }
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) {
      throw new OAuthError("invalid_redirect_uri", `redirect_uris: ${JSON.stringify(uri)} ${problem}`);
    }
  }
  const name = optionalString(d, "client_name", 200);
  for (
    const field of [
      "client_uri",
      "logo_uri",
      "tos_uri",
      "policy_uri",
      "scope",
      "software_id",
      "software_version",
    ]
  ) {
    optionalString(d, field);
  }

  const now = deps.clock.now();
  await deleteUnusedClients(deps.db, new Date(now.getTime() - REGISTRATION.unusedClientTtlMs));
  if (
    await countClientsFromIp(deps.db, ip, new Date(now.getTime() - 3600_000)) >= REGISTRATION.perIpPerHour
  ) {
    throw new OAuthError("slow_down", "Too many client registrations from this address; try again later", {
      status: 429,
    });
  }
  const id = newId();
  const secret = method === "none" ? null : randomToken(32);
  const h = secret ? await newSecretHash(deps.secrets, secret) : null;
  const registered = {
    ...d,
    client_name: name,
    redirect_uris: redirectUris,
    grant_types: grantTypes,
    response_types: responseTypes,
    token_endpoint_auth_method: method,
  };
  delete (registered as Record<string, unknown>).client_secret;
  await upsertClient(deps.db, {
    id,
    kind: "dynamic",
    name: name ?? null,
    redirect_uris: redirectUris,
    token_endpoint_auth_method: method,
    secret_salt: h?.salt ?? null,
    secret_hash: h?.hash ?? null,
    secret_pepper_id: h?.pepperId ?? null,
    metadata: registered,
    registered_ip: ip,
    created_at: now,
    expires_at: null,
  });
  return {
    ...registered,
    client_id: id,
    client_id_issued_at: Math.floor(now.getTime() / 1000),
    ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
  };
}
