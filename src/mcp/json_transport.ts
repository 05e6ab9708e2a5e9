import {
  type AuthInfo,
  isJsonContentType,
  type JSONRPCMessage,
  type JSONRPCRequest,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
} from "@modelcontextprotocol/server";
import { jsonRpcError } from "./errors.ts";

/**
 * A one-exchange transport for the plain 2025-era request (src/mcp/era.ts `isPlainLegacyRequest`, not
 * `initialize`): the SDK's `Server` does all of the protocol (request validation, dispatch, results,
 * errors); this only carries one request in and its one response out as JSON.
 *
 * Why not the SDK's WebStandardStreamableHTTPServerTransport for it: on a stateless JSON exchange that
 * transport re-validates the already classified message with zod several times (a JSON-RPC message
 * parse, two initialize checks whose failure path builds issue objects, request and response type
 * guards), ~8% of the server's CPU per tools/call in bench/mcp.ts. It still serves everything else
 * (initialize, batches, notifications, `_meta`, unknown headers). The checks here answer what it answers,
 * with the same status and message: 406 without both JSON and SSE in Accept, 415 for a non-JSON body, 400
 * for an unsupported MCP-Protocol-Version. tests/mcp/json_transport_test.ts sends the same requests
 * through both transports and compares the answers; the conformance suite runs against this path.
 * As in the SDK transport's JSON mode, notifications the server sends during the call are dropped.
 */
export class PlainJsonTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  #versions: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;
  #id: JSONRPCRequest["id"] | undefined;
  #answer: ((res: Response) => void) | null = null;
  #closed = false;

  start(): Promise<void> {
    return Promise.resolve();
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.#versions = versions;
  }

  /**
   * McpServer (not the low-level Server Sluice uses) hands its transport a scope-challenge resolver; this
   * transport does not run one, so it refuses rather than silently skip a check the SDK transport makes.
   */
  setScopeChallengeResolver(): never {
    throw new Error(
      "PlainJsonTransport does not check scope challenges: serve this server through the SDK transport",
    );
  }

  /** Serves `message` (already parsed from `req`'s body); resolves with the HTTP response. */
  handle(req: Request, message: JSONRPCRequest, authInfo: AuthInfo): Promise<Response> {
    const accept = req.headers.get("accept");
    if (!accept?.includes("application/json") || !accept.includes("text/event-stream")) {
      return Promise.resolve(
        jsonRpcError(
          406,
          -32000,
          "Not Acceptable: Client must accept both application/json and text/event-stream",
        ),
      );
    }
    if (!isJsonContentType(req.headers.get("content-type"))) {
      return Promise.resolve(
        jsonRpcError(415, -32000, "Unsupported Media Type: Content-Type must be application/json"),
      );
    }
    const version = req.headers.get("mcp-protocol-version");
    if (version !== null && !this.#versions.includes(version)) {
      return Promise.resolve(jsonRpcError(
        400,
        -32000,
        `Bad Request: Unsupported protocol version: ${version} (supported versions: ${
          this.#versions.join(", ")
        })`,
      ));
    }
    if (this.#closed || this.#id !== undefined) throw new Error("PlainJsonTransport serves one request");
    this.#id = message.id;
    return new Promise((resolve) => {
      this.#answer = resolve;
      this.onmessage?.(message, { authInfo, request: req });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#answer && ("result" in message || "error" in message) && message.id === this.#id) {
      this.#answer(Response.json(message, { status: 200, headers: { "Content-Type": "application/json" } }));
      this.#answer = null;
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.onclose?.();
    }
    return Promise.resolve();
  }
}
