/**
 * Typed re-exports of the MCP SDK 1.x client. The SDK's exports map sends `…/client/index.js` to a
 * `index.js.d.ts` that does not exist, so Deno silently types such imports as `any` (GOTCHAS.md);
 * `@ts-types` pointing at the extension-less subpath resolves the real declarations. Imported by pinned
 * specifier, not through deno.json, for the reason tests/_helpers/test_tools.ts gives.
 */
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/index"
export { Client } from "npm:@modelcontextprotocol/sdk@1.32.2/client/index.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp"
export { StreamableHTTPClientTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp"
export type { StreamableHTTPClientTransportOptions } from "npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/auth"
export type { OAuthClientProvider } from "npm:@modelcontextprotocol/sdk@1.32.2/client/auth.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/client/auth"
export { auth, UnauthorizedError } from "npm:@modelcontextprotocol/sdk@1.32.2/client/auth.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
export { CallToolResultSchema, LATEST_PROTOCOL_VERSION } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
