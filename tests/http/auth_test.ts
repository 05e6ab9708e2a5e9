/** The bearer check of REST and MCP (src/http/auth.ts): one 401, one last-used rule. */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { testApp } from "../_helpers/app.ts";
import { rpc } from "../mcp/rpc.ts";

const METADATA = "http://localhost:3000/.well-known/oauth-protected-resource/mcp";

Deno.test("REST and MCP refuse a missing or bad bearer with the same 401 body; MCP's challenge adds resource_metadata", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const [keyId] = u.key.split(":");
    for (const auth of [null, `Bearer ${keyId}:wrong`, "Bearer nosuchkey:secret", "Bearer garbage"]) {
      const rest = await t.request("/api/workspace", auth ? { headers: { authorization: auth } } : {});
      const mcp = await rpc(t, auth, "tools/list");
      for (const res of [rest, mcp]) {
        assert.equal(res.status, 401, `${auth} ${res.url}`);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      }
      const [restBody, mcpBody] = [await rest.json(), await mcp.json()];
      assert.equal(typeof restBody.requestId, "string");
      assert.equal(typeof mcpBody.requestId, "string");
      assert.deepEqual({ ...mcpBody, requestId: "" }, { ...restBody, requestId: "" }, `${auth}`);
      assert.equal(restBody.error.code, auth ? "invalid_token" : "unauthorized");
      const error = auth ? ', error="invalid_token"' : "";
      assert.equal(rest.headers.get("www-authenticate"), auth ? 'Bearer error="invalid_token"' : "Bearer");
      assert.equal(mcp.headers.get("www-authenticate"), `Bearer resource_metadata="${METADATA}"${error}`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("an API key records its last use at most once a minute, whether REST or MCP used it", async () => {
  const clock = fakeClock(new Date("2026-06-01T00:00:00Z"));
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    const [keyId] = u.key.split(":");
    const lastUsed = async function lastUsed(): Promise<string | null> {
      const rows = await t.deps.db.query<{ last_used_at: Date | null }>(
        "select last_used_at from api_keys where id = $1",
        [keyId],
      );
      return rows[0].last_used_at?.toISOString() ?? null;
    };
    const use = async function use(via: "rest" | "mcp") {
      const res = via === "rest"
        ? await t.request("/api/workspace", { headers: { authorization: u.auth } })
        : await rpc(t, u.auth, "tools/list");
      assert.equal(res.status, 200, via);
      await res.body?.cancel();
    };
    assert.equal(await lastUsed(), null);
    await use("rest");
    assert.equal(await lastUsed(), "2026-06-01T00:00:00.000Z");
    clock.advance(30_000);
    await use("mcp");
    clock.advance(30_000);
    await use("rest");
    assert.equal(await lastUsed(), "2026-06-01T00:00:00.000Z", "a minute has not passed: no write");
    clock.advance(1);
    await use("mcp");
    assert.equal(await lastUsed(), "2026-06-01T00:01:00.001Z");
  } finally {
    await t.close();
  }
});
