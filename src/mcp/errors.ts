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

export { jsonRpcError, unavailableResponse } from "./http_errors.ts";
