/**
 * The client's address, decided in one place for everything that needs it: ingest's `requestIp` and
 * `context.ip`, and the per-address limits (login throttle, OAuth client registration). It is the socket
 * address, or with TRUST_PROXY an `X-Forwarded-For` hop (else `X-Real-Ip`). Without TRUST_PROXY those
 * headers are ignored, since anyone can send them; with it they must be, since behind a reverse proxy
 * every request shares the proxy's address and one user could lock everyone out.
 *
 * Which hop: a proxy appends the address it saw to whatever X-Forwarded-For the client sent. So with
 * TRUST_PROXY_HOPS proxies of yours in a row, the hop that many from the right is the one the outermost
 * wrote, and the limits key on it (a client rotating a made-up first hop would otherwise get a fresh limit
 * on every request). Ingest's `context.ip` keeps the first hop, as Jitsu does: the original client behind
 * a chain of proxies, which matters for analytics, not security.
 */
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

/**
 * The rule itself: the trusted header's first hop or the one `fromRight` hops from its end, else the socket
 * address; null when neither has one.
 */
export function clientIpFrom(
  headers: Headers,
  socketAddress: string | null,
  trustProxy: boolean,
  hop: "first" | { fromRight: number } = "first",
): string | null {
  if (trustProxy) {
    const all = headers.get("x-forwarded-for")?.split(",").map((h) => h.trim()) ?? [];
    let xff: string | undefined;
    if (hop === "first") xff = all[0];
    else {
      // Fewer hops than proxies: the leftmost is the best there is (a client that sent none).
      const hops = all.filter(Boolean);
      xff = hops[Math.max(0, hops.length - hop.fromRight)];
    }
    if (xff) return xff;
    const real = headers.get("x-real-ip")?.trim();
    if (real) return real;
  }
  return socketAddress || null;
}

function addressOf(c: Context<AppEnv>, hop: "first" | "limits"): string | null {
  const socket = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname ?? null;
  const config = c.get("deps")?.config;
  const which = hop === "first" ? "first" : { fromRight: config?.trustProxyHops ?? 1 };
  return clientIpFrom(c.req.raw.headers, socket, config?.trustProxy ?? false, which);
}

/** The original client's address (first hop), or null (ingest then leaves `context.ip` unset). */
export function requestIp(c: Context<AppEnv>): string | null {
  return addressOf(c, "first");
}

/**
 * The address a limit keys on (the hop the outermost trusted proxy wrote): "unknown" when there is none,
 * so all such share one.
 */
export function clientIp(c: Context<AppEnv>): string {
  return addressOf(c, "limits") ?? "unknown";
}
