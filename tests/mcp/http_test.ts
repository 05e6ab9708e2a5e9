/** `/mcp` on the wire: authentication, DNS-rebinding protection, methods, malformed JSON-RPC. */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { cliPrincipal } from "../../src/auth/principal.ts";
import { createApiKey, revokeApiKey } from "../../src/services/api_keys.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { callTool, mcpHeaders, rpc } from "./rpc.ts";

const METADATA = "http://localhost:3000/.well-known/oauth-protected-resource/mcp";

Deno.test("/mcp without a key is 401 with the RFC 9728 resource_metadata challenge, initialize included", async () => {
  const t = await testApp();
  try {
    for (const method of ["initialize", "tools/list", "tools/call"]) {
      const res = await rpc(
        t,
        null,
        method,
        method === "initialize"
          ? { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } }
          : {},
      );
      assert.equal(res.status, 401, method);
      assert.equal(res.headers.get("www-authenticate"), `Bearer resource_metadata="${METADATA}"`);
      const body = await res.json();
      assert.equal(body.error.code, "unauthorized");
    }
    const get = await t.request("/mcp");
    assert.equal(get.status, 401, "GET too");
    await get.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("/mcp with a bad, unknown, expired or revoked key is 401 with error=invalid_token", async () => {
  const clock = fakeClock(new Date("2026-06-01T00:00:00Z"));
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    const [keyId, secret] = u.key.split(":");
    const challenge = `Bearer resource_metadata="${METADATA}", error="invalid_token"`;
    for (const auth of [`Bearer ${keyId}:wrong`, `Bearer nosuchkey:${secret}`, "Bearer garbage"]) {
      const res = await rpc(t, auth, "tools/list");
      assert.equal(res.status, 401, auth);
      assert.equal(res.headers.get("www-authenticate"), challenge);
      assert.equal((await res.json()).error.code, "invalid_token");
    }

    const expiring = await createApiKey(u.ctx, { expiresAt: "2026-06-02T00:00:00Z" });
    const auth = `Bearer ${expiring.plaintext}`;
    assert.equal((await rpc(t, auth, "tools/list")).status, 200);
    clock.advance(2 * 86_400_000);
    const expired = await rpc(t, auth, "tools/list");
    assert.equal(expired.status, 401, "expired");
    await expired.body?.cancel();

    assert.ok(await callTool(t, u.auth, "list_workspaces"));
    await revokeApiKey(u.ctx, keyId);
    const revoked = await rpc(t, u.auth, "tools/call", { name: "list_workspaces", arguments: {} });
    assert.equal(revoked.status, 401, "the next call after revoking is refused");
    assert.equal(revoked.headers.get("www-authenticate"), challenge);
    await revoked.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("/mcp refuses a foreign Origin or Host with 403 and allows ALLOWED_ORIGINS with CORS", async () => {
  const t = await testApp({
    env: { PUBLIC_URL: "https://sluice.example.com", ALLOWED_ORIGINS: "https://inspector.example.org" },
  });
  try {
    const u = await t.user();
    const ok = (extra: Record<string, string>) => rpc(t, u.auth, "tools/list", {}, extra);
    const evil = await ok({ origin: "https://evil.example.net" });
    assert.equal(evil.status, 403);
    const body = await evil.json();
    assert.equal(body.error.code, -32000);
    assert.match(body.error.message, /Origin "https:\/\/evil\.example\.net" is not allowed/);

    const rebinding = await t.request("http://evil.example.net/mcp", {
      method: "POST",
      headers: { ...mcpHeaders(u.auth), host: "evil.example.net" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(rebinding.status, 403, "a rebound Host is refused");
    await rebinding.body?.cancel();

    const loopback = await ok({ origin: "http://localhost:5173" });
    assert.equal(loopback.status, 403, "loopback origins only in development");
    await loopback.body?.cancel();

    const own = await ok({ origin: "https://sluice.example.com", host: "sluice.example.com" });
    assert.equal(own.status, 200);
    await own.body?.cancel();
    const allowed = await ok({ origin: "https://inspector.example.org" });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://inspector.example.org");
    await allowed.body?.cancel();
    const preflight = await t.request("/mcp", {
      method: "OPTIONS",
      headers: { origin: "https://inspector.example.org", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/);
  } finally {
    await t.close();
  }
});

Deno.test("/mcp allows loopback origins when PUBLIC_URL is loopback (development)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const res = await rpc(t, u.auth, "tools/list", {}, { origin: "http://127.0.0.1:6274" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("GET and DELETE /mcp are 405 with Allow: POST (stateless, no SSE stream, no session)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    for (const method of ["GET", "DELETE"]) {
      const res = await t.request("/mcp", {
        method,
        headers: { authorization: u.auth, accept: "text/event-stream" },
      });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get("allow"), "POST");
      assert.equal((await res.json()).error.code, -32000);
    }
  } finally {
    await t.close();
  }
});

Deno.test("malformed JSON, a non-JSON-RPC body, an unknown method or tool and a bad protocol version are protocol errors", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const post = (body: string, headers: Record<string, string> = {}) =>
      t.request("/mcp", { method: "POST", headers: mcpHeaders(u.auth, headers), body });

    const parse = await post("{not json");
    assert.equal(parse.status, 400);
    assert.equal((await parse.json()).error.code, -32700);

    const notRpc = await post(JSON.stringify({ hello: "world" }));
    assert.equal(notRpc.status, 400);
    assert.equal((await notRpc.json()).error.code, -32600, "Invalid Request: not a JSON-RPC message");

    const method = await rpc(t, u.auth, "no/such/method");
    assert.equal((await expectJson(method, 200)).error.code, -32601);

    const tool = await expectJson(
      await rpc(t, u.auth, "tools/call", { name: "drop_database", arguments: {} }),
      200,
    );
    assert.equal(tool.error.code, -32602);
    assert.match(tool.error.message, /Tool drop_database not found/);

    const version = await rpc(t, u.auth, "tools/list", {}, { "mcp-protocol-version": "1999-01-01" });
    assert.equal(version.status, 400);
    assert.match((await version.json()).error.message, /Unsupported protocol version/);

    const big = await post(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(1_100_000) } }),
    );
    assert.equal(big.status, 413);
    await big.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("plain tool calls answer JSON, not SSE, in the 2025 protocol", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const res = await rpc(t, u.auth, "tools/call", { name: "list_workspaces", arguments: {} });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = await res.json();
    assert.equal(body.result.structuredContent.workspaces[0].id, u.workspace.id);
    const logged = t.logLines.join("\n");
    assert.match(logged, /"msg":"mcp tool","tool":"list_workspaces","isError":false/);
    assert.ok(!logged.includes(u.key.split(":")[1]), "the key's secret never reaches the log");
  } finally {
    await t.close();
  }
});

Deno.test("wrong argument types are isError results that name the field, with REST's message", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const limit = await callTool(t, u.auth, "query_events", {
      workspaceId: ws,
      type: "incoming",
      limit: "lots",
    });
    assert.equal(limit.isError, true);
    assert.equal(limit.content[0].text, "Cannot query events: limit: must be a number");
    const rest = await expectJson(
      await t.request(`/api/${ws}/log/incoming?limit=lots`, { headers: { authorization: u.auth } }),
      400,
    );
    assert.equal(rest.error.message, limit.content[0].text, "REST and MCP report the same message");

    const type = await callTool(t, u.auth, "query_events", { workspaceId: ws, type: "outgoing" });
    assert.equal(type.isError, true);
    assert.match(type.content[0].text, /^Cannot query events: type: must be one of incoming, function/);

    // The resources service validates for both faces: the same bad input, the same message.
    const mcpCreate = await callTool(t, u.auth, "create_resource", {
      workspaceId: ws,
      type: "stream",
      data: { name: 5 },
    });
    assert.equal(mcpCreate.isError, true);
    const restCreate = await expectJson(
      await t.request(`/api/${ws}/config/stream`, {
        method: "POST",
        headers: { authorization: u.auth },
        json: { name: 5 },
      }),
      400,
    );
    assert.equal(mcpCreate.content[0].text, restCreate.error.message);
    assert.match(mcpCreate.content[0].text, /name/);
    const mcpType = await callTool(t, u.auth, "get_resource", { workspaceId: ws, type: "widget", id: "x" });
    const restType = await expectJson(
      await t.request(`/api/${ws}/config/widget/x`, { headers: { authorization: u.auth } }),
      400,
    );
    assert.equal(mcpType.content[0].text, restType.error.message);

    const mcpSchema = await callTool(t, u.auth, "get_resource_schema", {
      type: "destination",
      subtype: "fax",
    });
    assert.equal(mcpSchema.isError, true);
    const restSchema = await t.request("/api/schema/destination/fax");
    assert.equal(mcpSchema.content[0].text, (await restSchema.json()).error.message);
    assert.match(mcpSchema.content[0].text, /fax/);

    const missing = await callTool(t, u.auth, "get_resource", { workspaceId: ws, type: "stream" });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0].text, /id/);
  } finally {
    await t.close();
  }
});

Deno.test("another user's workspace is not found over MCP, and read-only connections cannot write", async () => {
  const t = await testApp();
  try {
    const alice = await t.user();
    const bob = await t.user();
    for (
      const [tool, args] of [
        ["list_resources", { workspaceId: bob.workspace.id, type: "stream" }],
        ["query_events", { workspaceId: bob.workspace.id, type: "incoming" }],
        ["list_event_sources", { workspaceId: bob.workspace.id }],
        ["create_resource", { workspaceId: bob.workspace.id, type: "stream", data: { name: "x" } }],
      ] as const
    ) {
      const r = await callTool(t, alice.auth, tool, args);
      assert.equal(r.isError, true, tool);
      assert.equal(
        r.content[0].text.includes(`Workspace "${bob.workspace.id}" not found`),
        true,
        r.content[0].text,
      );
    }
    const listed = await callTool(t, alice.auth, "list_workspaces");
    assert.deepEqual(listed.structuredContent.workspaces.map((w: { id: string }) => w.id), [
      alice.workspace.id,
    ]);

    // A read-only credential (what a read-only OAuth grant yields) may read but never write.
    const { toolCatalog } = await import("../../src/mcp/server.ts");
    const ctx = {
      ...alice.ctx,
      principal: { ...cliPrincipal({ id: alice.id, email: alice.email, is_admin: false }), canWrite: false },
    };
    const denied = await toolCatalog().byName.get("create_resource")!.call(ctx, {
      workspaceId: alice.workspace.id,
      type: "stream",
      data: { name: "x" },
    });
    assert.equal(denied.isError, true);
    assert.match((denied.content[0] as { text: string }).text, /read-only.*reconnect/s);
    const read = await toolCatalog().byName.get("list_workspaces")!.call(ctx, {});
    assert.equal(read.isError, undefined);
  } finally {
    await t.close();
  }
});

Deno.test("protected-resource metadata is served at the path-suffixed and the root well-known URLs", async () => {
  const t = await testApp({ env: { PUBLIC_URL: "https://sluice.example.com/" } });
  try {
    for (
      const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]
    ) {
      const meta = await expectJson(await t.request(path), 200);
      assert.equal(
        meta.resource,
        "https://sluice.example.com/mcp",
        "RFC 9728 §2: the canonical URI, no trailing slash",
      );
      assert.deepEqual(meta.bearer_methods_supported, ["header"]);
    }
  } finally {
    await t.close();
  }
});
