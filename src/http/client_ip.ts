/**
 * The client's address for per-address limits (login throttle, OAuth client registration): the socket
 * address, or with TRUST_PROXY the first `X-Forwarded-For` / `X-Real-Ip` hop, as ingest does. Behind a
 * reverse proxy every request shares the proxy's address, so one user could lock everyone out.
 */
import type { Context } from "hono";
import { clientIp } from "../ingest/normalize.ts";
import type { AppEnv } from "./env.ts";

/** The request's client address ("unknown" when neither the socket nor a trusted header gives one). */
export function requestIp(c: Context<AppEnv>): string {
  const socket = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname ?? null;
  const trustProxy = c.get("deps")?.config.trustProxy ?? false;
  return clientIp(c.req.raw.headers, socket, trustProxy) ?? "unknown";
}
