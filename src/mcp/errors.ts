import { type CallToolResult, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import type { Ctx } from "../deps.ts";
import { AppError } from "../errors.ts";
import { inputErrorFromDatabase, unavailableErrorFromDatabase } from "../store/db_errors.ts";

/**
 * The one MCP error mapper. A failure the model can fix (validation, not found, conflict, no access) is
 * an `isError` result with the same message REST gives; anything else is a bug: logged with the request
 * id and thrown as a JSON-RPC internal error that names only the request id (ARCHITECTURE.md).
 */
export function toolErrorResult(ctx: Ctx, tool: string, error: unknown): CallToolResult {
  // The database being away is something to wait for, not a bug: an isError result saying when to retry.
  const e = inputErrorFromDatabase(error) ?? unavailableErrorFromDatabase(error) ?? error;
  if (e instanceof AppError && e.expose) {
    return { content: [{ type: "text", text: e.message }], isError: true };
  }
  ctx.log.error("mcp tool failed", { tool, requestId: ctx.requestId, error: e });
  throw new ProtocolError(
    ProtocolErrorCode.InternalError,
    `Internal error in ${tool}; the server log has details under request id ${ctx.requestId}`,
  );
}

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
