import type { Config } from "../config.ts";

/** Read access to every tool and list. */
export const SCOPE_READ = "mcp:read";
/** Tools that change things. */
export const SCOPE_WRITE = "mcp:write";
/** Every scope this server knows, in `scopes_supported` order. */
export const SCOPES_SUPPORTED = [SCOPE_READ, SCOPE_WRITE] as const;

/** Access token lifetime: an hour, so a leaked one soon stops working; clients refresh it. */
export const ACCESS_TOKEN_TTL_MS = 3600_000;
/** Refresh token lifetime: 90 days, so a client used now and then stays connected (each use rotates it). */
export const REFRESH_TOKEN_TTL_MS = 90 * 24 * 3600_000;
/** Authorization code lifetime: 60 s; a code is exchanged at once, so it expires soon (RFC 6749 §4.1.2). */
export const CODE_TTL_MS = 60_000;

/** The authorization server's issuer identifier (RFC 8414 §2): the public URL, no trailing slash. */
export function issuer(config: Pick<Config, "publicUrl">): string {
  return config.publicUrl;
}

/** The canonical URI of the one protected resource, the MCP endpoint (RFC 8707, RFC 9728 `resource`). */
export function mcpResource(config: Pick<Config, "publicUrl">): string {
  return `${config.publicUrl}/mcp`;
}

/**
 * The resource a request names, normalised: absent means the MCP endpoint; a trailing slash is
 * tolerated (several clients add one). Null when it names another resource (RFC 8707 §2 invalid_target).
 */
export function resolveResource(config: Pick<Config, "publicUrl">, requested: string | null | undefined) {
  const canonical = mcpResource(config);
  if (requested === undefined || requested === null || requested === "") return canonical;
  const trimmed = requested.replace(/\/$/, "");
  return trimmed === canonical ? canonical : null;
}

/** The scope string of a grant with or without write access. */
export function scopeFor(write: boolean): string {
  return write ? `${SCOPE_READ} ${SCOPE_WRITE}` : SCOPE_READ;
}

/** Splits a scope parameter (RFC 6749 §3.3: space-delimited) into distinct values. */
export function parseScope(scope: string | null | undefined): string[] {
  return [...new Set((scope ?? "").split(" ").filter(Boolean))];
}

/** Whether a scope string grants write tools. */
export function scopeCanWrite(scope: string): boolean {
  return parseScope(scope).includes(SCOPE_WRITE);
}
