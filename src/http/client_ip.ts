/**
 * The client's address, decided in one place for everything that needs it: ingest's `requestIp` and
 * `context.ip`, and the per-address limits (login throttle, OAuth client registration). It is the socket
 * address, or with TRUST_PROXY the first `X-Forwarded-For` hop (else `X-Real-Ip`). Without TRUST_PROXY
 * those headers are ignored, since anyone can send them; with it they must be, since behind a reverse
 * proxy every request shares the proxy's address and one user could lock everyone out.
 */
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

/** The rule itself: the trusted header's first hop, else the socket address; null when neither has one. */
export function clientIpFrom(
  headers: Headers,
  socketAddress: string | null,
  trustProxy: boolean,
): string | null {
  if (trustProxy) {
    const xff = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (xff) return xff;
    const real = headers.get("x-real-ip")?.trim();
    if (real) return real;
  }
  return socketAddress || null;
}

/** The request's client address, or null (ingest then leaves `context.ip` unset). */
export function requestIp(c: Context<AppEnv>): string | null {
  const socket = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname ?? null;
  const trustProxy = c.get("deps")?.config.trustProxy ?? false;
  return clientIpFrom(c.req.raw.headers, socket, trustProxy);
}

/** The request's client address as a limit's key: "unknown" when there is none, so all such share one. */
export function clientIp(c: Context<AppEnv>): string {
  return requestIp(c) ?? "unknown";
}
