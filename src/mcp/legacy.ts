import {
  type AuthInfo,
  type JSONRPCRequest,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import type { Ctx } from "../deps.ts";
import { PlainJsonTransport } from "./json_transport.ts";
import { buildMcpServer } from "./server.ts";

/** The `Ctx` the tools run with, carried through the SDK in `authInfo.extra` (it passes authInfo as is). */
export function ctxOf(authInfo: AuthInfo | undefined): Ctx {
  const ctx = authInfo?.extra?.ctx as Ctx | undefined;
  if (!ctx) throw new Error("MCP request reached a server without an authenticated context");
  return ctx;
}

/**
 * Closes a per-request server. Closing builds an SdkError("Connection closed") for handlers still waiting,
 * and after a JSON answer none are: its stack trace was ~3% of the server's CPU per MCP call. The error
 * is built synchronously inside close() (transport close -> onclose), so no stack is captured just then.
 */
function closeQuietly(server: { close(): Promise<void> }): Promise<void> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return server.close();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Serves one 2025-era exchange statelessly: a fresh server for `authInfo`'s principal, connected to a
 * transport for this request only, closed once the JSON answer is complete. `"plain"` (src/mcp/era.ts's
 * plain request, not initialize) uses {@linkcode PlainJsonTransport}; anything else the SDK's transport.
 */
export async function serveLegacy(
  req: Request,
  body: unknown,
  authInfo: AuthInfo,
  transport: "plain" | "sdk",
): Promise<Response> {
  const server = buildMcpServer(ctxOf(authInfo));
  try {
    if (transport === "plain") {
      const t = new PlainJsonTransport();
      await server.connect(t);
      return await t.handle(req, body as JSONRPCRequest, authInfo);
    }
    const t = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(t);
    return await t.handleRequest(req, { parsedBody: body, authInfo });
  } finally {
    // Safe to close here only because JSON responses are complete when the exchange resolves.
    await closeQuietly(server);
  }
}
