import type { AuthInfo } from "@modelcontextprotocol/server";
import { type Context, Hono } from "hono";
import { protectedResourceMetadataUrl } from "../api/well_known.ts";
import type { Ctx, Deps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { isJsonType, MAX_JSON_BODY, mediaType, readBodyText } from "../http/body.ts";
import { nestsDeeperThan, tooDeepMessage } from "../http/json_depth.ts";
import { authenticateRequest } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import type { McpDispatch } from "./dispatch.ts";
import { jsonRpcError, unavailableResponse } from "./http_errors.ts";
import { checkOrigin, isAllowedOrigin, originPolicy } from "./origin.ts";

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
 * only (405), then src/mcp/dispatch.ts answers (loaded on first use: the SDK is the largest part of the
 * module graph). Each request gets a fresh server (src/mcp/server.ts).
 */
export function mcpRouter(deps: Deps) {
  const policy = originPolicy(deps.config);
  const metadataUrl = protectedResourceMetadataUrl(deps.config);
  function onerror(error: Error) {
    deps.log.warn("mcp request rejected", { error: error.message });
  }
  let dispatch: Promise<McpDispatch> | undefined;
  function dispatcher(): Promise<McpDispatch> {
    dispatch ??= loadMcp().then((m) => m.createMcpDispatch(onerror));
    return dispatch;
  }

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
    return await (await dispatcher())(req, parsed.body, authInfo);
  }

  const app = new Hono<AppEnv>();
  app.all("/mcp", mcp);
  app.all("/mcp/", mcp);
  return app;
}

/**
 * The module with the MCP SDK and the tools catalog, the largest part of the server's module graph.
 * Not a literal on purpose: Deno prepares a literal `import()`'s module graph when the importing module
 * loads, which would put its cost back on the start. `deno compile` embeds it through `--include`
 * (deno.json's compile task).
 */
const DISPATCH_MODULE = "./dispatch.ts";

/**
 * Loads the MCP SDK and the tools catalog (about 0.5 s). `/mcp` calls it on its first request and
 * src/cli/serve.ts shortly after the server listens, so neither the start nor, usually, the first tool
 * call waits for it.
 */
export function loadMcp(): Promise<typeof import("./dispatch.ts")> {
  return import(DISPATCH_MODULE);
}
