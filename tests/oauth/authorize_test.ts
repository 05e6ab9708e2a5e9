import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";
import {
  approve,
  authorizeQuery,
  csrfFrom,
  ISSUER,
  pkce,
  REDIRECT,
  register,
  sessionCookie,
} from "./_helpers.ts";

async function setup() {
  const t = await testApp();
  const u = await t.user();
  const client = await register(t);
  const { challenge } = await pkce();
  const cookie = await sessionCookie(t, u);
  return { t, u, client, challenge, cookie };
}

function assertRedirectError(res: Response, error: string) {
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get("location")!);
  assert.equal(`${loc.origin}${loc.pathname}`, REDIRECT);
  assert.equal(loc.searchParams.get("error"), error);
  // RFC 9207 §2 and RFC 6749 §4.1.2.1: error responses carry iss and the client's state too.
  assert.equal(loc.searchParams.get("state"), "st-123");
  assert.equal(loc.searchParams.get("iss"), ISSUER);
}

Deno.test("authorize: an unregistered client gets an error page, never a redirect (RFC 6749 §4.1.2.1)", async () => {
  const { t, challenge, cookie } = await setup();
  try {
    const res = await t.request(`/oauth/authorize?${authorizeQuery("nosuchclient", challenge)}`, {
      headers: { cookie },
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get("content-type")!, /text\/html/);
    assert.equal(res.headers.get("location"), null);
    assert.match(await res.text(), /not registered/);
  } finally {
    await t.close();
  }
});

Deno.test("authorize: a redirect URI that was not registered is an error page (RFC 6749 §3.1.2.4, §4.1.2.1)", async () => {
  const { t, client, challenge, cookie } = await setup();
  try {
    for (
      const evil of [
        "https://evil.example/callback",
        "http://127.0.0.1:8976/callback/../other",
        "http://127.0.0.1:8976/CALLBACK",
        "http://evil.example:8976/callback",
        "javascript:alert(1)",
        "http://127.0.0.1:8976/callback#frag",
      ]
    ) {
      const res = await t.request(
        `/oauth/authorize?${authorizeQuery(client.client_id, challenge, { redirect_uri: evil })}`,
        { headers: { cookie } },
      );
      assert.equal(res.status, 400, evil);
      assert.equal(res.headers.get("location"), null, `open redirect to ${evil}`);
      await res.body?.cancel();
    }
  } finally {
    await t.close();
  }
});

Deno.test("authorize: open-redirect attempts with a bad request still never redirect to an unregistered URI (RFC 9700 §4.11)", async () => {
  const { t, client, challenge } = await setup();
  try {
    // Invalid request (no PKCE) *and* a foreign redirect URI: the URI is checked first, so no redirect.
    const res = await t.request(
      `/oauth/authorize?${
        authorizeQuery(client.client_id, challenge, {
          redirect_uri: "https://evil.example/",
          code_challenge: null,
        })
      }`,
    );
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("location"), null);
    await res.body?.cancel();
    // A login `next` pointing off-site is ignored.
    const login = await t.request("/login?next=%2F%2Fevil.example%2F");
    assert.match(await login.text(), /name="next" value="\/user"/);
  } finally {
    await t.close();
  }
});

Deno.test("authorize: missing PKCE is refused with invalid_request, state and iss (RFC 7636 §4.4.1, OAuth 2.1 §4.1.1)", async () => {
  const { t, client, challenge, cookie } = await setup();
  try {
    const res = await t.request(
      `/oauth/authorize?${authorizeQuery(client.client_id, challenge, { code_challenge: null })}`,
      { headers: { cookie } },
    );
    assertRedirectError(res, "invalid_request");
  } finally {
    await t.close();
  }
});

Deno.test("authorize: plain PKCE is refused (RFC 7636 §4.3, §7.2; OAuth 2.1 §4.1.1 requires S256 here)", async () => {
  const { t, client, challenge, cookie } = await setup();
  try {
    for (const method of ["plain", null]) {
      const res = await t.request(
        `/oauth/authorize?${authorizeQuery(client.client_id, challenge, { code_challenge_method: method })}`,
        { headers: { cookie } },
      );
      assertRedirectError(res, "invalid_request");
    }
  } finally {
    await t.close();
  }
});

Deno.test("authorize: a resource other than /mcp is invalid_target; a trailing slash or none is accepted (RFC 8707 §2)", async () => {
  const { t, client, challenge, cookie } = await setup();
  try {
    const res = await t.request(
      `/oauth/authorize?${
        authorizeQuery(client.client_id, challenge, { resource: "https://other.example/mcp" })
      }`,
      { headers: { cookie } },
    );
    assertRedirectError(res, "invalid_target");
    for (const resource of [`${ISSUER}/mcp/`, null]) {
      const ok = await t.request(
        `/oauth/authorize?${authorizeQuery(client.client_id, challenge, { resource })}`,
        {
          headers: { cookie },
        },
      );
      assert.equal(ok.status, 200, String(resource));
      await ok.body?.cancel();
    }
  } finally {
    await t.close();
  }
});

Deno.test("authorize: response_type other than code is unsupported_response_type (RFC 6749 §4.1.2.1)", async () => {
  const { t, client, challenge, cookie } = await setup();
  try {
    const res = await t.request(
      `/oauth/authorize?${authorizeQuery(client.client_id, challenge, { response_type: "token" })}`,
      { headers: { cookie } },
    );
    assertRedirectError(res, "unsupported_response_type");
  } finally {
    await t.close();
  }
});

Deno.test("authorize: a signed-out user goes to /login and comes back to the same request", async () => {
  const { t, client, challenge } = await setup();
  try {
    const query = authorizeQuery(client.client_id, challenge);
    const res = await t.request(`/oauth/authorize?${query}`);
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.get("location")!, ISSUER);
    assert.equal(loc.pathname, "/login");
    assert.equal(loc.searchParams.get("next"), `/oauth/authorize?${query}`);
  } finally {
    await t.close();
  }
});

Deno.test("consent page: names the client as unverified, warns about localhost, cannot be framed", async () => {
  const { t, client, challenge, cookie } = await setup();
  try {
    const res = await t.request(`/oauth/authorize?${authorizeQuery(client.client_id, challenge)}`, {
      headers: { cookie },
    });
    assert.equal(res.status, 200);
    const csp = res.headers.get("content-security-policy")!;
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self' http:\/\/127\.0\.0\.1:8976/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    const html = await res.text();
    assert.match(html, /Test client/);
    assert.match(html, /unverified/);
    assert.match(html, /localhost/);
    assert.match(html, /127\.0\.0\.1:8976/);
    // The query asks for mcp:write: what was asked is preselected (tests/ui/consent_test.ts).
    assert.match(html, /value="write" checked/);
  } finally {
    await t.close();
  }
});

Deno.test("consent POST without or with a wrong CSRF token is refused with 403 and issues no code (RFC 6749 §10.12)", async () => {
  const { t, u, client, challenge, cookie } = await setup();
  try {
    const query = authorizeQuery(client.client_id, challenge);
    for (const csrf of [null, "forged-token"]) {
      const form = new URLSearchParams({
        request: query,
        decision: "approve",
        access: "write",
        workspace: u.workspace.id,
      });
      if (csrf) form.set("csrf", csrf);
      const res = await t.request("/oauth/authorize", {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get("location"), null);
      await res.body?.cancel();
    }
    const grants = await t.deps.db.query("select id from oauth_grants");
    assert.equal(grants.length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("consent: Deny redirects with access_denied, state and iss (RFC 6749 §4.1.2.1, RFC 9207 §2)", async () => {
  const { t, u, client, challenge, cookie } = await setup();
  try {
    const loc = await approve(t, cookie, authorizeQuery(client.client_id, challenge), {
      workspaces: [u.workspace.id],
      decision: "deny",
    });
    assert.equal(loc.searchParams.get("error"), "access_denied");
    assert.equal(loc.searchParams.get("state"), "st-123");
    assert.equal(loc.searchParams.get("iss"), ISSUER);
    assert.equal(loc.searchParams.get("code"), null);
  } finally {
    await t.close();
  }
});

Deno.test("consent: Approve redirects with code, state and iss; re-consent replaces the earlier grant", async () => {
  const { t, u, client, challenge, cookie } = await setup();
  try {
    const query = authorizeQuery(client.client_id, challenge);
    const first = await approve(t, cookie, query, { workspaces: [u.workspace.id] });
    assert.match(first.searchParams.get("code")!, /^oac_/);
    assert.equal(first.searchParams.get("state"), "st-123");
    assert.equal(first.searchParams.get("iss"), ISSUER);
    await approve(t, cookie, query, { workspaces: [u.workspace.id], access: "write" });
    const live = await t.deps.db.query<{ scope: string }>(
      "select scope from oauth_grants where revoked_at is null",
    );
    assert.deepEqual(live.map((g) => g.scope), ["mcp:read mcp:write"]);
  } finally {
    await t.close();
  }
});

Deno.test("consent: a workspace the user does not belong to cannot be granted", async () => {
  const { t, client, challenge, cookie } = await setup();
  try {
    const other = await t.user();
    const query = authorizeQuery(client.client_id, challenge);
    const page = await t.request(`/oauth/authorize?${query}`, { headers: { cookie } });
    const form = new URLSearchParams({
      csrf: csrfFrom(await page.text()),
      request: query,
      decision: "approve",
      access: "read",
      workspace: other.workspace.id,
    });
    const res = await t.request("/oauth/authorize", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Choose at least one of your workspaces/);
  } finally {
    await t.close();
  }
});
