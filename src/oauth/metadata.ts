import { Hono } from "hono";
import type { Config } from "../config.ts";
import type { AppEnv } from "../http/env.ts";
import { issuer, SCOPES_SUPPORTED } from "./resource.ts";

/** Authorization server metadata (RFC 8414 §2), with the fields the MCP authorization spec relies on. */
export function authorizationServerMetadata(config: Pick<Config, "publicUrl">) {
  const iss = issuer(config);
  return {
    issuer: iss,
    authorization_endpoint: `${iss}/oauth/authorize`,
    token_endpoint: `${iss}/oauth/token`,
    registration_endpoint: `${iss}/oauth/register`,
    revocation_endpoint: `${iss}/oauth/revoke`,
    scopes_supported: [...SCOPES_SUPPORTED],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
    revocation_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${iss}/`,
  };
}

/**
 * Adds this authorization server to the protected-resource metadata of `/mcp` (RFC 9728 §2):
 * `authorization_servers` and `scopes_supported`. Passed to wellKnownRouter() in src/app.ts.
 */
export function oauthResourceMetadata<M extends Record<string, unknown>>(
  meta: M,
  config: Pick<Config, "publicUrl">,
): M {
  return { ...meta, authorization_servers: [issuer(config)], scopes_supported: [...SCOPES_SUPPORTED] };
}

/**
 * `/.well-known/oauth-authorization-server` (RFC 8414 §3) and `/.well-known/openid-configuration` for
 * clients that try that first; the same document at both.
 */
export function metadataRouter() {
  const app = new Hono<AppEnv>();
  for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
    app.get(path, function serveMetadata(c) {
      c.header("Cache-Control", "public, max-age=300");
      return c.json(authorizationServerMetadata(c.get("deps").config));
    });
  }
  return app;
}
