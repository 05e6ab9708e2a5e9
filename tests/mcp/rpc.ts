/** Raw JSON-RPC over `/mcp` for tests that check the wire (no SDK client in between). */
import type { TestApp } from "../_helpers/app.ts";

/** The nine configuration and Live Events tools: first in tools/list, in this order; others follow. */
export const CORE_TOOLS = [
  "list_workspaces",
  "list_resources",
  "get_resource",
  "get_resource_schema",
  "create_resource",
  "update_resource",
  "delete_resource",
  "list_event_sources",
  "query_events",
];

/** Headers a 2025-11-25 client sends on every POST. */
export function mcpHeaders(auth: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2025-11-25",
    ...(auth ? { authorization: auth } : {}),
    ...extra,
  };
}

let nextId = 1;

/** POSTs one JSON-RPC request (stateless: no initialize needed) and returns the response. */
export function rpc(
  t: TestApp,
  auth: string | null,
  method: string,
  params: unknown = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  return t.request("/mcp", {
    method: "POST",
    headers: mcpHeaders(auth, headers),
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
  });
}

/** Calls a tool and returns the JSON-RPC `result` (throws on a JSON-RPC error or a non-200). */
// deno-lint-ignore no-explicit-any
export async function callTool(t: TestApp, auth: string, name: string, args: unknown = {}): Promise<any> {
  const res = await rpc(t, auth, "tools/call", { name, arguments: args });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`tools/call ${name}: HTTP ${res.status}: ${text}`);
  const body = JSON.parse(text);
  if (body.error) throw new Error(`tools/call ${name}: JSON-RPC error ${JSON.stringify(body.error)}`);
  return body.result;
}
