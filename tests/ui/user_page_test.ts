import assert from "node:assert/strict";
import { type TestApp, testApp } from "../_helpers/app.ts";
import { connect, sessionCookie } from "../oauth/_helpers.ts";

async function page(t: TestApp, cookie: string) {
  const res = await t.request("/user", { headers: { cookie } });
  const html = await res.text();
  assert.equal(res.status, 200, html);
  return { html, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1], res };
}

function post(t: TestApp, cookie: string, path: string, form: Record<string, string>) {
  return t.request(path, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

Deno.test("/user: signed-out visitors go to /login", async () => {
  const t = await testApp();
  try {
    const res = await t.request("/user");
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "/login?next=%2Fuser");
    const home = await t.request("/");
    assert.equal(home.headers.get("location"), "/user");
  } finally {
    await t.close();
  }
});

Deno.test("/user: create a key (secret shown once), rename it, revoke it", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const cookie = await sessionCookie(t, u);
    const { csrf, res } = await page(t, cookie);
    assert.match(res.headers.get("content-security-policy")!, /script-src 'nonce-/);
    const created = await post(t, cookie, "/user/keys", { csrf, name: "laptop", expires: "30" });
    const html = await created.text();
    assert.equal(created.status, 200);
    const secret = /id="new-secret" readonly="" value="([^"]+)"/.exec(html)?.[1] ??
      /id="new-secret"[^>]*value="([^"]+)"/.exec(html)![1];
    assert.match(secret, /^[a-z0-9]{24}:[A-Za-z0-9_-]{43}$/);
    assert.match(html, /id="copy"/);
    assert.equal(
      (await t.request("/api/workspace", { headers: { authorization: `Bearer ${secret}` } })).status,
      200,
    );
    const again = await page(t, cookie);
    assert.ok(!again.html.includes(secret.split(":")[1]), "the secret is shown only once");
    const id = secret.split(":")[0];
    const renamed = await post(t, cookie, "/user/keys/rename", { csrf, id, name: "desktop" });
    assert.equal(renamed.status, 303);
    assert.match((await page(t, cookie)).html, /value="desktop"/);
    const revoked = await post(t, cookie, "/user/keys/revoke", { csrf, id });
    assert.equal(revoked.status, 303);
    assert.equal(revoked.headers.get("location"), "/user?notice=key-revoked");
    assert.equal(
      (await t.request("/api/workspace", { headers: { authorization: `Bearer ${secret}` } })).status,
      401,
    );
  } finally {
    await t.close();
  }
});

Deno.test("/user: forms without the CSRF token change nothing (OWASP CSRF; RFC 6749 §10.12 for consent)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const cookie = await sessionCookie(t, u);
    const keyId = u.key.split(":")[0];
    const res = await post(t, cookie, "/user/keys/revoke", { id: keyId });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    assert.equal((await t.request("/api/workspace", { headers: { authorization: u.auth } })).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("/user: connected apps are listed with scope and workspaces; revoking one makes its token fail", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const { tokens } = await connect(t, u, { access: "write" });
    const cookie = await sessionCookie(t, u);
    const { html, csrf } = await page(t, cookie);
    assert.match(html, /Test client/);
    assert.match(html, /read-write/);
    assert.match(html, new RegExp(u.workspace.name));
    const grantId = /data-grant-id="([^"]+)"/.exec(html)![1];
    const res = await post(t, cookie, "/user/connections/revoke", { csrf, id: grantId });
    assert.equal(res.status, 303);
    const after = await t.request("/api/workspace", {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(after.status, 401);
    assert.match((await page(t, cookie)).html, /No app is connected/);
    // Another user's grant id is not found for this user.
    const other = await t.user();
    const otherCookie = await sessionCookie(t, other);
    const o = await page(t, otherCookie);
    const nf = await post(t, otherCookie, "/user/connections/revoke", { csrf: o.csrf, id: grantId });
    assert.equal(nf.status, 404);
    await nf.body?.cancel();
  } finally {
    await t.close();
  }
});
