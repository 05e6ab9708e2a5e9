import assert from "node:assert/strict";
import { expectJson, testApp } from "../_helpers/app.ts";
import { REDIRECT, register } from "./_helpers.ts";

Deno.test("register: a public client gets 201, client_id_issued_at and no secret (RFC 7591 §3.2.1)", async () => {
  const t = await testApp();
  try {
    const c = await register(t, {
      redirect_uris: [REDIRECT, "cursor://anysphere.cursor-mcp/oauth/callback", "https://app.example/cb"],
    });
    assert.match(c.client_id, /^[a-z][a-z0-9]{23}$/);
    assert.equal(typeof c.client_id_issued_at, "number");
    assert.equal(c.client_secret, undefined);
    assert.equal(c.token_endpoint_auth_method, "none");
    assert.equal(c.redirect_uris.length, 3);
  } finally {
    await t.close();
  }
});

Deno.test("register: client_secret_post and _basic get a secret that is stored only hashed (RFC 7591 §3.2.1)", async () => {
  const t = await testApp();
  try {
    for (const method of ["client_secret_post", "client_secret_basic"]) {
      const c = await register(t, { token_endpoint_auth_method: method });
      assert.match(c.client_secret, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(c.client_secret_expires_at, 0);
      const rows = await t.deps.db.query<{ secret_hash: string; metadata: Record<string, unknown> }>(
        "select secret_hash, metadata from oauth_clients where id = $1",
        [c.client_id],
      );
      assert.ok(!rows[0].secret_hash.includes(c.client_secret));
      assert.ok(!JSON.stringify(rows[0].metadata).includes(c.client_secret));
    }
    // RFC 7591 §2: token_endpoint_auth_method defaults to client_secret_basic.
    const res = await t.request("/oauth/register", { method: "POST", json: { redirect_uris: [REDIRECT] } });
    const body = await expectJson(res, 201);
    assert.equal(body.token_endpoint_auth_method, "client_secret_basic");
    assert.ok(body.client_secret);
    assert.equal(res.headers.get("cache-control"), "no-store");
  } finally {
    await t.close();
  }
});

Deno.test("register: dangerous or malformed redirect URIs are invalid_redirect_uri (RFC 7591 §3.2.2, RFC 8252 §7, RFC 6749 §3.1.2)", async () => {
  const t = await testApp();
  try {
    for (
      const uri of [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "https://app.example/cb#fragment",
        "http://app.example/cb",
        "not a uri",
      ]
    ) {
      const body = await expectJson(
        await t.request("/oauth/register", {
          method: "POST",
          json: { redirect_uris: [uri], token_endpoint_auth_method: "none" },
        }),
        400,
      );
      assert.equal(body.error, "invalid_redirect_uri", uri);
    }
    const none = await expectJson(await t.request("/oauth/register", { method: "POST", json: {} }), 400);
    assert.equal(none.error, "invalid_redirect_uri");
  } finally {
    await t.close();
  }
});

Deno.test("register: unsupported metadata is invalid_client_metadata (RFC 7591 §3.2.2)", async () => {
  const t = await testApp();
  try {
    for (
      const bad of [
        { token_endpoint_auth_method: "private_key_jwt" },
        { grant_types: ["implicit"] },
        { response_types: ["token"] },
        { client_name: 42 },
      ]
    ) {
      const body = await expectJson(
        await t.request("/oauth/register", { method: "POST", json: { redirect_uris: [REDIRECT], ...bad } }),
        400,
      );
      assert.equal(body.error, "invalid_client_metadata", JSON.stringify(bad));
    }
    const arr = await expectJson(await t.request("/oauth/register", { method: "POST", json: [1] }), 400);
    assert.equal(arr.error, "invalid_request");
    const malformed = await t.request("/oauth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    assert.equal((await expectJson(malformed, 400)).error, "invalid_request");
  } finally {
    await t.close();
  }
});

Deno.test("register: rate-limited per address with 429", async () => {
  const t = await testApp();
  try {
    for (let i = 0; i < 30; i++) await register(t);
    const res = await t.request("/oauth/register", {
      method: "POST",
      json: { redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
    });
    assert.equal((await expectJson(res, 429)).error, "slow_down");
  } finally {
    await t.close();
  }
});

Deno.test("register: behind a proxy (TRUST_PROXY) the limit is per forwarded address, not per proxy", async () => {
  const from = (t: Awaited<ReturnType<typeof testApp>>, ip: string) =>
    t.request("/oauth/register", {
      method: "POST",
      headers: { "x-forwarded-for": `${ip}, 10.0.0.1` },
      json: { redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
    });
  // Two proxies in a row (the header's last hop, 10.0.0.1, is the outer proxy as the inner one saw it).
  const t = await testApp({ env: { TRUST_PROXY: "true", TRUST_PROXY_HOPS: "2" } });
  try {
    for (let i = 0; i < 30; i++) await expectJson(await from(t, "203.0.113.7"), 201);
    assert.equal((await expectJson(await from(t, "203.0.113.7"), 429)).error, "slow_down");
    await expectJson(await from(t, "198.51.100.9"), 201);
  } finally {
    await t.close();
  }
  const direct = await testApp();
  try {
    for (let i = 0; i < 30; i++) await expectJson(await from(direct, `203.0.113.${i}`), 201);
    await expectJson(await from(direct, "198.51.100.9"), 429); // without TRUST_PROXY the header is ignored
  } finally {
    await direct.close();
  }
});

Deno.test("register: unused dynamic clients expire after 30 days", async () => {
  const t = await testApp();
  try {
    const old = await register(t);
    await t.deps.db.query("update oauth_clients set created_at = now() - interval '31 days' where id = $1", [
      old.client_id,
    ]);
    await register(t);
    const rows = await t.deps.db.query("select id from oauth_clients where id = $1", [old.client_id]);
    assert.equal(rows.length, 0);
  } finally {
    await t.close();
  }
});
