import { Hono } from "hono";
import type { Config } from "../config.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";

/** RFC 9728 §3.2 protected-resource metadata of `/mcp`. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name: string;
  resource_documentation?: string;
  [extra: string]: unknown;
}

/** The canonical URI of the MCP endpoint: `<PUBLIC_URL>/mcp`, no trailing slash (RFC 8707 §2). */
export function mcpResourceUrl(config: Pick<Config, "publicUrl">): string {
  return `${config.publicUrl}/mcp`;
}

/** Where clients find the metadata: the path-suffixed well-known URL (RFC 9728 §3.1). */
export function protectedResourceMetadataUrl(config: Pick<Config, "publicUrl">): string {
  return `${config.publicUrl}/.well-known/oauth-protected-resource/mcp`;
}

/**
 * Builds the metadata document. Each function in `extensions` may add fields: the OAuth authorization
 * server (src/oauth/metadata.ts) adds `authorization_servers` and `scopes_supported` by passing one to
 * {@linkcode wellKnownRouter}.
 */
export function protectedResourceMetadata(
  config: Pick<Config, "publicUrl">,
  extensions: readonly MetadataExtension[] = [],
): ProtectedResourceMetadata {
  let meta: ProtectedResourceMetadata = {
    resource: mcpResourceUrl(config),
    bearer_methods_supported: ["header"],
    resource_name: "Sluice",
  };
  for (const extend of extensions) meta = extend(meta, config);
  return meta;
}

/** Adds or changes fields of the protected-resource metadata. */
export type MetadataExtension = (
  meta: ProtectedResourceMetadata,
  config: Pick<Config, "publicUrl">,
) => ProtectedResourceMetadata;

/**
 * `GET /.well-known/oauth-protected-resource/mcp` and the root `/.well-known/oauth-protected-resource`
 * (clients that ignore the path suffix), both describing `/mcp`. Public, readable from any origin.
 */
export function wellKnownRouter({ extensions = [] }: { extensions?: readonly MetadataExtension[] } = {}) {
  const app = new Hono<AppEnv>();
  for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
    route(app, path, {
      GET: function protectedResource(c) {
        c.header("Access-Control-Allow-Origin", "*");
        c.header("Cache-Control", "public, max-age=300");
        return c.json(protectedResourceMetadata(c.get("deps").config, extensions));
      },
    });
  }
  return app;
}
