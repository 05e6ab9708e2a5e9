import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import {
  approve,
  authorizeQuery,
  connect,
  pkce,
  REDIRECT,
  register,
  RESOURCE,
  sessionCookie,
  tokenRequest,
} from "./_helpers.ts";

async function codeFor(t: TestApp, clientId: string) {
  const u = await t.user();
  const { verifier, challenge } = await pkce();
  const cookie = await sessionCookie(t, u);
  const loc = await approve(t, cookie, authorizeQuery(clientId, challenge), { workspaces: [u.workspace.id] });
  return { u, verifier, code: loc.searchParams.get("code")! };
}

function exchange(
  t: TestApp,
  clientId: string,
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
) {
  return tokenRequest(t, {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
    ...extra,
  });
}

async function expectOAuthError(res: Response, status: number, error: string) {
  const body = await expectJson(res, status);
  assert.equal(body.error, error, JSON.stringify(body));
  assert.equal(typeof body.error_description, "string");
  // RFC 6749 §5.1/§5.2: token endpoint responses are never cached.
  assert.equal(res.headers.get("cache-control"), "no-store");
  return body;
}

Deno.test("token: success is JSON with Cache-Control no-store (RFC 6749 §5.1)", async () => {
  const t = await testApp();
  try {
    const client = await register(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    const res = await exchange(t, client.client_id, code, verifier, { resource: `${RESOURCE}/` });
    const body = await expectJson(res, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("pragma"), "no-cache");
    assert.equal(body.scope, "mcp:read");
  } finally {
    await t.close();
  }
});

Deno.test("token: a wrong PKCE verifier is invalid_grant and does not spend the code (RFC 7636 §4.6)", async () => {
  const t = await testApp();
  try {
    const client = await register(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    const wrong = (await pkce()).verifier;
    await expectOAuthError(await exchange(t, client.client_id, code, wrong), 400, "invalid_grant");
    await expectJson(await exchange(t, client.client_id, code, verifier), 200);
  } finally {
    await t.close();
  }
});

Deno.test("token: a missing PKCE verifier is invalid_request (RFC 7636 §4.5)", async () => {
  const t = await testApp();
  try {
    const client = await register(t);
    const { code } = await codeFor(t, client.client_id);
    await expectOAuthError(
      await tokenRequest(t, {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        client_id: client.client_id,
      }),
      400,
      "invalid_request",
    );
  } finally {
    await t.close();
  }
});

Deno.test("token: a replayed code is refused and revokes the tokens it issued (RFC 6749 §4.1.2)", async () => {
  const t = await testApp();
  try {
    const client = await register(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    const first = await expectJson(await exchange(t, client.client_id, code, verifier), 200);
    const auth = { authorization: `Bearer ${first.access_token}` };
    assert.equal((await t.request("/api/workspace", { headers: auth })).status, 200);
    await expectOAuthError(await exchange(t, client.client_id, code, verifier), 400, "invalid_grant");
    assert.equal((await t.request("/api/workspace", { headers: auth })).status, 401);
    await expectOAuthError(
      await tokenRequest(t, {
        grant_type: "refresh_token",
        refresh_token: first.refresh_token,
        client_id: client.client_id,
      }),
      400,
      "invalid_grant",
    );
  } finally {
    await t.close();
  }
});

Deno.test("token: an expired code (older than 60 s) is invalid_grant (RFC 6749 §4.1.2, §10.5)", async () => {
  const clock = fakeClock(new Date());
  const t = await testApp({ clock });
  try {
    const client = await register(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    clock.advance(61_000);
    await expectOAuthError(await exchange(t, client.client_id, code, verifier), 400, "invalid_grant");
  } finally {
    await t.close();
  }
});

Deno.test("token: a code issued to another client is invalid_grant (RFC 6749 §4.1.3)", async () => {
  const t = await testApp();
  try {
    const a = await register(t);
    const b = await register(t);
    const { code, verifier } = await codeFor(t, a.client_id);
    await expectOAuthError(await exchange(t, b.client_id, code, verifier), 400, "invalid_grant");
    await expectJson(await exchange(t, a.client_id, code, verifier), 200);
  } finally {
    await t.close();
  }
});

Deno.test("token: a redirect_uri that differs from the authorization request is invalid_grant (RFC 6749 §4.1.3)", async () => {
  const t = await testApp();
  try {
    const client = await register(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    await expectOAuthError(
      await exchange(t, client.client_id, code, verifier, { redirect_uri: "http://127.0.0.1:8976/other" }),
      400,
      "invalid_grant",
    );
  } finally {
    await t.close();
  }
});

Deno.test("token: a resource other than the code's is invalid_target (RFC 8707 §2.2)", async () => {
  const t = await testApp();
  try {
    const client = await register(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    await expectOAuthError(
      await exchange(t, client.client_id, code, verifier, { resource: "https://other.example/mcp" }),
      400,
      "invalid_target",
    );
  } finally {
    await t.close();
  }
});

Deno.test("token: an unregistered client is invalid_client with 401 (RFC 6749 §5.2)", async () => {
  const t = await testApp();
  try {
    const res = await tokenRequest(t, {
      grant_type: "authorization_code",
      code: "oac_x:y",
      redirect_uri: REDIRECT,
      code_verifier: (await pkce()).verifier,
      client_id: "nosuchclient",
    });
    await expectOAuthError(res, 401, "invalid_client");
    assert.ok(res.headers.get("www-authenticate"));
  } finally {
    await t.close();
  }
});

Deno.test("token: confidential clients must authenticate as registered; a wrong secret is 401 with a Basic challenge (RFC 6749 §2.3.1, §5.2)", async () => {
  const t = await testApp();
  try {
    const basic = await register(t, { token_endpoint_auth_method: "client_secret_basic" });
    assert.ok(basic.client_secret);
    const post = await register(t, { token_endpoint_auth_method: "client_secret_post" });
    const { code, verifier } = await codeFor(t, basic.client_id);
    const wrong = `Basic ${btoa(`${basic.client_id}:nope`)}`;
    const res = await tokenRequest(
      t,
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier },
      { authorization: wrong },
    );
    await expectOAuthError(res, 401, "invalid_client");
    assert.match(res.headers.get("www-authenticate")!, /^Basic/);
    // The registered method is required: a public-style request for a confidential client fails.
    await expectOAuthError(await exchange(t, basic.client_id, code, verifier), 401, "invalid_client");
    const right = `Basic ${
      btoa(`${encodeURIComponent(basic.client_id)}:${encodeURIComponent(basic.client_secret)}`)
    }`;
    await expectJson(
      await tokenRequest(
        t,
        { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier },
        { authorization: right },
      ),
      200,
    );
    const second = await codeFor(t, post.client_id);
    await expectJson(
      await exchange(t, post.client_id, second.code, second.verifier, { client_secret: post.client_secret }),
      200,
    );
  } finally {
    await t.close();
  }
});

Deno.test("token: an API key is refused at the token endpoint, as client credentials or as a refresh token", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const client = await register(t);
    await expectOAuthError(
      await tokenRequest(t, { grant_type: "refresh_token", refresh_token: u.key }, { authorization: u.auth }),
      401,
      "invalid_client",
    );
    await expectOAuthError(
      await tokenRequest(t, {
        grant_type: "refresh_token",
        refresh_token: u.key,
        client_id: client.client_id,
      }),
      400,
      "invalid_grant",
    );
  } finally {
    await t.close();
  }
});

Deno.test("token: unknown grant types, repeated parameters and JSON bodies are refused (RFC 6749 §3.1, §3.2, §5.2)", async () => {
  const t = await testApp();
  try {
    const client = await register(t);
    await expectOAuthError(
      await tokenRequest(t, { grant_type: "password", client_id: client.client_id }),
      400,
      "unsupported_grant_type",
    );
    const repeated = await t.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=authorization_code&grant_type=refresh_token&client_id=${client.client_id}`,
    });
    await expectOAuthError(repeated, 400, "invalid_request");
    const json = await t.request("/oauth/token", {
      method: "POST",
      json: { grant_type: "authorization_code", client_id: client.client_id },
    });
    await expectOAuthError(json, 400, "invalid_request");
  } finally {
    await t.close();
  }
});

Deno.test("token: a refresh token of a revoked grant is invalid_grant (RFC 7009 §2.1)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const { tokens, client } = await connect(t, u);
    await t.deps.db.query("update oauth_grants set revoked_at = now()");
    await expectOAuthError(
      await tokenRequest(t, {
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: client.client_id,
      }),
      400,
      "invalid_grant",
    );
  } finally {
    await t.close();
  }
});
