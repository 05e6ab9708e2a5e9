/**
 * The plain-request path of /mcp (src/mcp/era.ts, src/mcp/json_transport.ts): it may only take requests the
 * SDK itself would serve as 2025-era traffic, and it must answer exactly as the SDK's transport does.
 */
import assert from "node:assert/strict";
import { type AuthInfo, isLegacyRequest, McpServer } from "@modelcontextprotocol/server";
import { isPlainLegacyRequest } from "../../src/mcp/era.ts";
import { PlainJsonTransport } from "../../src/mcp/json_transport.ts";
import { serveLegacy } from "../../src/mcp/legacy.ts";
import { testApp } from "../_helpers/app.ts";

const HEADERS = [
  null,
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
  "2024-10-07",
  "2026-07-28",
  "2099-01-01",
  "junk",
  " 2025-11-25 ",
  "2025-11-25, 2026-07-28",
];
const BODIES: unknown[] = [
  { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_resource", arguments: { id: "x" } } },
  { jsonrpc: "2.0", id: "a", method: "tools/list" },
  { jsonrpc: "2.0", id: 0, method: "ping", params: {} },
  {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c", version: "1" } },
  },
  { jsonrpc: "2.0", id: 1.5, method: "ping" },
  { jsonrpc: "2.0", id: 2 ** 60, method: "ping" },
  { jsonrpc: "2.0", id: null, method: "ping" },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "1.0", id: 1, method: "ping" },
  { jsonrpc: "2.0", id: 1, method: "ping", extra: true },
  { jsonrpc: "2.0", id: 1, method: 7 },
  { jsonrpc: "2.0", id: 1, method: "ping", params: [] },
  { jsonrpc: "2.0", id: 1, method: "ping", params: null },
  { jsonrpc: "2.0", id: 1, method: "ping", params: { _meta: { progressToken: 1 } } },
  { jsonrpc: "2.0", id: 1, method: "ping", params: { _meta: "x" } },
  {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/list",
    params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
  },
  [{ jsonrpc: "2.0", id: 1, method: "ping" }],
  { jsonrpc: "2.0", id: 1, result: {} },
  { jsonrpc: "2.0", id: 1, error: { code: 1, message: "x" } },
  "ping",
  null,
  42,
];

function request(version: string | null, extra: Record<string, string> = {}): Request {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...extra,
  };
  if (version !== null) headers["mcp-protocol-version"] = version;
  return new Request("http://localhost:3000/mcp", { method: "POST", headers });
}

Deno.test("the plain-request shortcut never calls legacy what the SDK's own classifier would not", async () => {
  let plain = 0;
  for (const version of HEADERS) {
    for (const body of BODIES) {
      if (!isPlainLegacyRequest(version, body)) continue;
      plain++;
      assert.equal(await isLegacyRequest(request(version), body), true, `${version} ${JSON.stringify(body)}`);
    }
  }
  // What today's clients send takes the shortcut (a shortcut that never fires would pass the loop above).
  for (const version of [null, "2025-11-25", "2025-06-18"]) {
    for (const body of BODIES.slice(0, 4)) assert.equal(isPlainLegacyRequest(version, body), true);
  }
  assert.equal(plain, 5 * 4, "exactly the plain shapes under the five 2025-era headers");
});

Deno.test("PlainJsonTransport answers every plain request exactly as the SDK's transport does", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const authInfo: AuthInfo = {
      token: "test",
      clientId: u.id,
      scopes: ["read", "write"],
      extra: { ctx: { ...u.ctx, channel: "mcp" } },
    };
    const ws = u.workspace.id;
    const calls: [string, unknown][] = [
      ["tools/list", {}],
      ["tools/call", { name: "list_workspaces", arguments: {} }],
      ["tools/call", { name: "get_resource", arguments: { workspaceId: ws, type: "function", id: "nope" } }],
      ["tools/call", { name: "get_resource", arguments: { workspaceId: 7, type: "nonsense" } }],
      ["tools/call", { name: "no_such_tool", arguments: {} }],
      ["tools/call", { arguments: {} }],
      ["tools/call", { name: "list_resources", arguments: { workspaceId: ws, type: "stream" } }],
      ["ping", {}],
      ["logging/setLevel", { level: "info" }],
      ["resources/list", {}],
      ["no/such/method", {}],
    ];
    const variants: [string | null, Record<string, string>][] = [
      ["2025-11-25", {}],
      [null, {}],
      ["2024-10-07", {}],
      ["2025-06-18", { accept: "application/json" }],
      ["2025-06-18", { "content-type": "text/plain" }],
    ];
    let compared = 0;
    for (const [method, params] of calls) {
      for (const [version, extra] of variants) {
        const body = { jsonrpc: "2.0", id: compared + 1, method, params };
        assert.equal(isPlainLegacyRequest(version, body), true);
        const label = `${method} ${JSON.stringify(params)} ${version} ${JSON.stringify(extra)}`;
        const plain = await serveLegacy(request(version, extra), body, authInfo, "plain");
        const sdk = await serveLegacy(request(version, extra), body, authInfo, "sdk");
        assert.equal(plain.status, sdk.status, label);
        assert.equal(plain.headers.get("content-type"), sdk.headers.get("content-type"), label);
        assert.deepEqual(await plain.json(), await sdk.json(), label);
        compared++;
      }
    }
    assert.equal(compared, calls.length * variants.length);
  } finally {
    await t.close();
  }
});

Deno.test("PlainJsonTransport refuses a scope-challenge resolver instead of skipping the check", async () => {
  const server = new McpServer({ name: "x", version: "1" });
  await assert.rejects(server.connect(new PlainJsonTransport()), /does not check scope challenges/);
});
