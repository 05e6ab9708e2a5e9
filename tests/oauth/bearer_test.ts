import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { authenticateBearer } from "../../src/auth/authenticate.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { connect } from "./_helpers.ts";

async function status(t: TestApp, bearer: string) {
  const res = await t.request("/api/workspace", { headers: { authorization: `Bearer ${bearer}` } });
  await res.body?.cancel();
  return res.status;
}

function revoke(t: TestApp, params: Record<string, string>) {
  return t.request("/oauth/revoke", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
}

Deno.test("authenticateBearer: an access token gives an oauth principal limited to the grant's workspaces and scope", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const { tokens, client } = await connect(t, u);
    const p = await authenticateBearer(t.deps, tokens.access_token);
    assert.ok(p);
    assert.equal(p.userId, u.id);
    assert.equal(p.via.kind, "oauth");
    if (p.via.kind === "oauth") {
      assert.equal(p.via.clientId, client.client_id);
      assert.match(p.via.tokenId, /^oat_/);
    }
    assert.deepEqual(p.workspaceIds, [u.workspace.id]);
    assert.equal(p.canWrite, false);
    // API keys still work beside tokens.
    assert.equal((await authenticateBearer(t.deps, u.key))?.via.kind, "api_key");
  } finally {
    await t.close();
  }
});

Deno.test("bearer: a refresh token is not an access token (RFC 6749 §1.5, RFC 6750 §2)", async () => {
  const t = await testApp();
  try {
    const { tokens } = await connect(t, await t.user());
    assert.equal(await status(t, tokens.refresh_token), 401);
    assert.equal(await status(t, tokens.access_token), 200);
  } finally {
    await t.close();
  }
});

Deno.test("bearer: a token for another resource is refused (RFC 8707 §2, MCP authorization: token audience)", async () => {
  const t = await testApp();
  try {
    const { tokens } = await connect(t, await t.user());
    await t.deps.db.query(
      "update oauth_tokens set resource = 'https://other.example/mcp' where kind = 'access'",
    );
    assert.equal(await status(t, tokens.access_token), 401);
  } finally {
    await t.close();
  }
});

Deno.test("bearer: an expired access token is refused (RFC 6750 §3.1 invalid_token)", async () => {
  const clock = fakeClock(new Date());
  const t = await testApp({ clock });
  try {
    const { tokens } = await connect(t, await t.user());
    clock.advance(3600_000 + 1);
    assert.equal(await status(t, tokens.access_token), 401);
  } finally {
    await t.close();
  }
});

Deno.test("bearer: a tampered secret is refused", async () => {
  const t = await testApp();
  try {
    const { tokens } = await connect(t, await t.user());
    const [id, secret] = tokens.access_token.split(":");
    assert.equal(await status(t, `${id}:${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`), 401);
    assert.equal(await status(t, "oat_nosuchtoken:abc"), 401);
  } finally {
    await t.close();
  }
});

Deno.test("revoke: a revoked access token is refused on its next request (RFC 7009 §2.1)", async () => {
  const t = await testApp();
  try {
    const { tokens, client } = await connect(t, await t.user());
    const res = await revoke(t, { token: tokens.access_token, client_id: client.client_id });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(await status(t, tokens.access_token), 401);
  } finally {
    await t.close();
  }
});

Deno.test("revoke: revoking the refresh token revokes the grant and its access tokens (RFC 7009 §2.1)", async () => {
  const t = await testApp();
  try {
    const { tokens, client } = await connect(t, await t.user());
    assert.equal(
      (await revoke(t, {
        token: tokens.refresh_token,
        client_id: client.client_id,
        token_type_hint: "refresh_token",
      })).status,
      200,
    );
    assert.equal(await status(t, tokens.access_token), 401);
  } finally {
    await t.close();
  }
});

Deno.test("revoke: unknown tokens and other clients' tokens answer 200 and change nothing (RFC 7009 §2.2)", async () => {
  const t = await testApp();
  try {
    const a = await connect(t, await t.user());
    const b = await connect(t, await t.user());
    assert.equal((await revoke(t, { token: "garbage", client_id: a.client.client_id })).status, 200);
    assert.equal(
      (await revoke(t, { token: b.tokens.access_token, client_id: a.client.client_id })).status,
      200,
    );
    assert.equal(await status(t, b.tokens.access_token), 200);
    const noClient = await expectJson(await revoke(t, { token: "x" }), 401);
    assert.equal(noClient.error, "invalid_client");
  } finally {
    await t.close();
  }
});
