import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  type JSONRPCRequest,
} from "@modelcontextprotocol/server";
import { MAX_JSON_BODY } from "../http/body.ts";
import { isPlainLegacyRequest } from "./era.ts";
import { ctxOf, serveLegacy } from "./legacy.ts";
import { buildMcpServer } from "./server.ts";

/** Answers one authenticated, parsed `/mcp` POST. */
export type McpDispatch = (req: Request, body: unknown, authInfo: AuthInfo) => Promise<Response>;

/**
 * The part of `/mcp` that needs the MCP SDK and the tools catalog: the 2026-07-28 protocol through the
 * SDK's `createMcpHandler`, 2025-era traffic through a stateless transport that answers plain JSON.
 * src/mcp/http.ts imports this module on first use, so a start does not wait for the SDK to load.
 */
export function createMcpDispatch(onerror: (error: Error) => void): McpDispatch {
  const modern = createMcpHandler(function modernServer({ authInfo }) {
    return buildMcpServer(ctxOf(authInfo));
  }, { legacy: "reject", maxRequestBodySize: MAX_JSON_BODY, onerror });

  return async function dispatch(req: Request, body: unknown, authInfo: AuthInfo): Promise<Response> {
    const plain = isPlainLegacyRequest(req.headers.get("mcp-protocol-version"), body);
    if (plain || await isLegacyRequest(req, body)) {
      const viaPlain = plain && (body as JSONRPCRequest).method !== "initialize";
      return await serveLegacy(req, body, authInfo, viaPlain ? "plain" : "sdk");
    }
    return await modern.fetch(req, { authInfo, parsedBody: body });
  };
}
