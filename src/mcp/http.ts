import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  type JSONRPCRequest,
} from "@modelcontextprotocol/server";
import { type Context, Hono } from "hono";
import { protectedResourceMetadataUrl } from "../api/well_known.ts";
import type { Ctx, Deps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { isJsonType, MAX_JSON_BODY, mediaType, readBodyText } from "../http/body.ts";
import { nestsDeeperThan, tooDeepMessage } from "../http/json_depth.ts";
import { authenticateRequest } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { isPlainLegacyRequest } from "./era.ts";
import { jsonRpcError, unavailableResponse } from "./errors.ts";
import { ctxOf, serveLegacy } from "./legacy.ts";
import { checkOrigin, isAllowedOrigin, originPolicy } from "./origin.ts";
import { buildMcpServer } from "./server.ts";

const CORS_ALLOW_HEADERS = "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, " +
  "Mcp-Method, Mcp-Name, Last-Event-Id";
const CORS_EXPOSE_HEADERS = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, X-Request-Id";

async function readBody(req: Request): Promise<{ ok: true; body: unknown } | { ok: false; res: Response }> {
  const type = mediaType(req.headers.get("content-type"));
  if (!isJsonType(type)) {
    const declared = type ? `"${type}"` : "no Content-Type";
    return {
      ok: false,
      res: jsonRpcError(
        415,
        -32600,
        `Unsupported Media Type: ${declared}; send Content-Type: application/json`,
      ),
    };
  }
  let text: string;
  try {
    text = await readBodyText(req, MAX_JSON_BODY);
  } catch (e) {
    if (!(e instanceof AppError) || e.status !== 413) throw e;
    const message = `Request body is larger than ${MAX_JSON_BODY} bytes`;
    return { ok: false, res: jsonRpcError(413, -32600, message, { Connection: "close" }) };
  }
  if (nestsDeeperThan(text)) return { ok: false, res: jsonRpcError(400, -32600, tooDeepMessage()) };
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (e) {
    return { ok: false, res: jsonRpcError(400, -32700, `Parse error: ${(e as Error).message}`) };
  }
}

/**
 * `/mcp`: MCP Streamable HTTP, stateless so any instance serves any request. In order: DNS-rebinding check
 * (403), CORS preflight, bearer authentication on every request (401 with the RFC 9728 metadata URL), POST
 * only (405), then the 2026-07-28 protocol through the SDK's `createMcpHandler` and 2025-era traffic through
 * a stateless transport that answers plain JSON. Each request gets a fresh server (src/mcp/server.ts).
 */
export function mcpRouter(deps: Deps) {
  const policy = originPolicy(deps.config);
  const metadataUrl = protectedResourceMetadataUrl(deps.config);
  function onerror(error: Error) {
    deps.log.warn("mcp request rejected", { error: error.message });
  }
  const modern = createMcpHandler(function modernServer({ authInfo }) {
    return buildMcpServer(ctxOf(authInfo));
  }, { legacy: "reject", maxRequestBodySize: MAX_JSON_BODY, onerror });

  async function mcp(c: Context<AppEnv>): Promise<Response> {
    const req = c.req.raw;
    const refused = checkOrigin(policy, req);
    if (refused) {
      deps.log.warn("mcp request refused", { reason: refused });
      return jsonRpcError(403, -32000, `Forbidden: ${refused}`);
    }
    const origin = req.headers.get("origin");
    const cors: Record<string, string> = origin && isAllowedOrigin(policy, origin)
      ? {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": CORS_EXPOSE_HEADERS,
        Vary: "Origin",
      }
      : {};
    if (req.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: {
          ...cors,
          "Access-Control-Allow-Methods": "POST, OPTIONS",
          "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
          "Access-Control-Max-Age": "600",
        },
      });
    }
    const res = await authenticated(c, req).catch(unavailableResponse);
    for (const [k, v] of Object.entries(cors)) res.headers.set(k, v);
    return res;
  }

  async function authenticated(c: Context<AppEnv>, req: Request) {
    // RFC 9728 §5.1: the 401 points the client at the metadata, from which it finds the OAuth server.
    const outcome = await authenticateRequest(c, { resourceMetadata: metadataUrl });
    if ("refused" in outcome) return outcome.refused;
    const { principal, token } = outcome;
    if (req.method !== "POST") {
      // Stateless: no standalone SSE stream (GET) and no session to end (DELETE).
      return jsonRpcError(405, -32000, "Method not allowed.", { Allow: "POST" });
    }
    const parsed = await readBody(req);
    if (!parsed.ok) return parsed.res;
    const ctx: Ctx = { ...deps, principal, requestId: c.get("requestId"), channel: "mcp" };
    const authInfo: AuthInfo = {
      token,
      clientId: principal.via.kind === "oauth" ? principal.via.clientId : principal.userId,
      scopes: principal.canWrite ? ["read", "write"] : ["read"],
      extra: { ctx },
    };
    const plain = isPlainLegacyRequest(req.headers.get("mcp-protocol-version"), parsed.body);
    if (plain || await isLegacyRequest(req, parsed.body)) {
      const viaPlain = plain && (parsed.body as JSONRPCRequest).method !== "initialize";
      return await serveLegacy(req, parsed.body, authInfo, viaPlain ? "plain" : "sdk");
    }
    return await modern.fetch(req, { authInfo, parsedBody: parsed.body });
  }

  const app = new Hono<AppEnv>();
  app.all("/mcp", mcp);
  app.all("/mcp/", mcp);
  return app;
}
