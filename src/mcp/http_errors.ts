import { unavailableErrorFromDatabase } from "../store/db_errors.ts";

// `/mcp`'s HTTP-level answers, apart from src/mcp/errors.ts so that the router can use them without
// loading the MCP SDK (src/mcp/http.ts loads it on first use).

/** A JSON-RPC error answered at the HTTP level (no request id is known): `/mcp`'s own refusals. */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: HeadersInit = {},
): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers });
}

/**
 * The database being away before a tool runs (authentication): a JSON-RPC error with 503 and
 * `Retry-After`, which clients retry; any other error is thrown on to the app's error handler.
 */
export function unavailableResponse(error: unknown): Response {
  const away = unavailableErrorFromDatabase(error);
  if (!away) throw error;
  return jsonRpcError(503, -32000, away.message, { "Retry-After": String(away.retryAfterSeconds) });
}
