import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/server";

/**
 * The SDK's supported revisions before 2026-07-28 (the first with the per-request envelope): a request
 * naming one of these (or none) and carrying no envelope is legacy.
 */
const LEGACY_REVISIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v < "2026-07-28"));
const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * True only for the request the SDK's classifier certainly routes to its legacy (2025-era) serving: one
 * JSON-RPC request of exactly the strict shape (`jsonrpc` "2.0", a string or safe-integer `id`, a string
 * `method`, optional object `params`), no `_meta` at all (so no 2026-07-28 envelope claim), and an
 * `MCP-Protocol-Version` header that is absent or names a 2025-era revision. False means "ask the SDK",
 * never "modern".
 *
 * Why: `isLegacyRequest` classifies with several zod type guards whose failure paths build error objects;
 * it was ~5% of the server's CPU per MCP tools/call (bench/mcp.ts). What today's clients send is
 * this plain shape; anything else (batches, notifications, responses, `_meta`, odd ids, modern or unknown
 * headers) still goes through the SDK's own predicate. tests/mcp/json_transport_test.ts checks that this never says
 * legacy where the SDK would not.
 */
export function isPlainLegacyRequest(protocolVersionHeader: string | null, body: unknown): boolean {
  if (protocolVersionHeader !== null && !LEGACY_REVISIONS.has(protocolVersionHeader)) return false;
  if (!isPlainObject(body)) return false;
  for (const k in body) if (!REQUEST_KEYS.has(k)) return false;
  if (body.jsonrpc !== "2.0" || typeof body.method !== "string") return false;
  const id = body.id;
  if (typeof id !== "string" && !(typeof id === "number" && Number.isSafeInteger(id))) return false;
  const params = body.params;
  if (params === undefined) return true;
  return isPlainObject(params) && !Object.hasOwn(params, "_meta");
}
