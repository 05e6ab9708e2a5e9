import type { Config } from "../config.ts";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Who may call `/mcp` from where: precomputed from the config once. */
export interface OriginPolicy {
  /** Hostnames accepted in `Host` (port ignored). */
  hosts: Set<string>;
  /** Full origins (`scheme://host[:port]`) accepted in `Origin`. */
  origins: Set<string>;
  /** Whether any loopback origin is accepted (development: PUBLIC_URL is itself loopback). */
  loopbackOrigins: boolean;
  /** PUBLIC_URL, named in refusals so the operator knows which setting to change. */
  publicUrl: string;
}

// Host header -> hostname. A server sees a handful of Host values, and parsing one as a URL on every
// MCP request was ~2.5% of its CPU (bench/mcp.ts). Bounded: random Host values cannot grow it.
const hostnames = new Map<string, string | null>();

function hostnameOf(hostHeader: string): string | null {
  let hostname = hostnames.get(hostHeader);
  if (hostname !== undefined) return hostname;
  try {
    hostname = new URL(`http://${hostHeader}`).hostname;
  } catch {
    hostname = null;
  }
  if (hostnames.size >= 256) hostnames.clear();
  hostnames.set(hostHeader, hostname);
  return hostname;
}

/**
 * Our own host and origin (PUBLIC_URL), the extra origins of ALLOWED_ORIGINS, and loopback: loopback
 * Hosts always (a DNS-rebinding attack arrives with the attacker's name in Host), loopback Origins only
 * when PUBLIC_URL is loopback, i.e. in development.
 */
export function originPolicy(config: Pick<Config, "publicUrl" | "allowedOrigins">): OriginPolicy {
  const pub = new URL(config.publicUrl);
  const hosts = new Set([...LOOPBACK_HOSTS, pub.hostname]);
  const origins = new Set([pub.origin]);
  for (const o of config.allowedOrigins) {
    try {
      const u = new URL(o);
      origins.add(u.origin);
      hosts.add(u.hostname);
    } catch {
      // Not a URL: cannot match any Origin header; config validation keeps this list free-form.
    }
  }
  return { hosts, origins, loopbackOrigins: LOOPBACK_HOSTS.has(pub.hostname), publicUrl: pub.origin };
}

/**
 * DNS-rebinding protection, a MUST of the Streamable HTTP transport (MCP spec, "Security Warning"):
 * returns why the request is refused, or null when its Host and Origin are acceptable. Requests without
 * an Origin (every non-browser client) pass the Origin check.
 */
export function checkOrigin(policy: OriginPolicy, req: Request): string | null {
  // Deno.serve builds req.url from Host; in-process requests (tests) may carry no Host header at all.
  const host = req.headers.get("host") ?? new URL(req.url).host;
  const hostname = host ? hostnameOf(host) : null;
  if (!hostname || !policy.hosts.has(hostname)) {
    // A server reached by its LAN address or a new name: the fix is a setting, so name it.
    return `Host ${JSON.stringify(host)} is not allowed: /mcp answers at PUBLIC_URL (${policy.publicUrl}); ` +
      `if clients reach this server as ${host || "another name"}, set PUBLIC_URL to that address`;
  }
  const origin = req.headers.get("origin");
  if (origin === null || origin === "") return null;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `Origin ${JSON.stringify(origin)} is not allowed`;
  }
  if (policy.origins.has(parsed.origin)) return null;
  if (policy.loopbackOrigins && LOOPBACK_HOSTS.has(parsed.hostname)) return null;
  return `Origin ${
    JSON.stringify(origin)
  } is not allowed; add it to ALLOWED_ORIGINS to let that page call /mcp`;
}

/** Whether `origin` is one the policy accepts (for CORS answers). */
export function isAllowedOrigin(policy: OriginPolicy, origin: string): boolean {
  try {
    const u = new URL(origin);
    return policy.origins.has(u.origin) || (policy.loopbackOrigins && LOOPBACK_HOSTS.has(u.hostname));
  } catch {
    return false;
  }
}
