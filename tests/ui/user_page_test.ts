import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
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
    assert.equal(home.headers.get("location"), "/login?next=%2F");
  } finally {
    await t.close();
  }
});

/** A browser's cookie jar for one origin: sends what it holds, applies Set-Cookie (incl. deletions). */
function cookieJar(initial: string) {
  const jar = new Map<string, string>();
  const [n, v] = initial.split("=");
  jar.set(n, v);
  return {
    header: () => [...jar].map(([k, val]) => `${k}=${val}`).join("; "),
    take(res: Response) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const eq = pair.indexOf("=");
        const name = pair.slice(0, eq);
        if (/max-age=0/i.test(line) || pair.slice(eq + 1) === "") jar.delete(name);
        else jar.set(name, pair.slice(eq + 1));
      }
    },
  };
}

async function keyCount(t: TestApp, auth: string): Promise<number> {
  const res = await t.request("/api/user/keys", { headers: { authorization: auth } });
  assert.equal(res.status, 200);
  const body = await res.json();
  return (Array.isArray(body) ? body : body.keys).length;
}

Deno.test("/user: create a key (POST-redirect-GET, secret shown once), rename it, revoke it", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const cookie = await sessionCookie(t, u);
    const jar = cookieJar(cookie);
    const { csrf, res } = await page(t, cookie);
    assert.match(res.headers.get("content-security-policy")!, /script-src 'nonce-/);
    assert.equal(await keyCount(t, u.auth), 1);
    const created = await post(t, jar.header(), "/user/keys", { csrf, name: "laptop", expires: "30" });
    assert.equal(created.status, 303);
    assert.equal(created.headers.get("location"), "/user#created");
    await created.body?.cancel();
    jar.take(created);
    assert.equal(await keyCount(t, u.auth), 2);
    const shown = await t.request("/user", { headers: { cookie: jar.header() } });
    const html = await shown.text();
    assert.equal(shown.status, 200);
    jar.take(shown);
    const secret = /id="new-secret"[^>]*value="([^"]+)"/.exec(html)![1];
    assert.match(secret, /^[a-z0-9]{24}:[A-Za-z0-9_-]{43}$/);
    assert.match(html, /id="copy"/);
    assert.match(html, /<strong>laptop<\/strong>/);
    assert.ok(!t.logLines.some((l) => l.includes(secret.split(":")[1])), "the secret is never logged");
    assert.equal(
      (await t.request("/api/workspace", { headers: { authorization: `Bearer ${secret}` } })).status,
      200,
    );
    // A reload of the page: no second key, and the secret is not shown again.
    const reload = await t.request("/user", { headers: { cookie: jar.header() } });
    const again = await reload.text();
    assert.equal(reload.status, 200);
    assert.ok(!again.includes(secret.split(":")[1]), "the secret is shown only once");
    assert.doesNotMatch(again, /id="new-secret"/);
    assert.equal(await keyCount(t, u.auth), 2);
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

Deno.test("/user: the new key's cookie shows the key to its own session only, and not after two minutes", async () => {
  const clock = fakeClock(new Date("2026-03-01T10:00:00Z"));
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    const cookie = await sessionCookie(t, u);
    const { csrf } = await page(t, cookie);
    const created = await post(t, cookie, "/user/keys", { csrf, name: "ci" });
    assert.equal(created.status, 303);
    await created.body?.cancel();
    const flash = created.headers.getSetCookie().find((c) => c.startsWith("sluice_new_key="))!;
    assert.match(flash, /HttpOnly/);
    assert.match(flash, /SameSite=Strict/);
    assert.match(flash, /Path=\/user/);
    const value = flash.split(";")[0];
    assert.doesNotMatch(value, /[a-z0-9]{24}:[A-Za-z0-9_-]{43}/, "the cookie holds no plaintext secret");
    const other = await sessionCookie(t, u);
    const foreign = await (await t.request("/user", { headers: { cookie: `${other}; ${value}` } })).text();
    assert.doesNotMatch(foreign, /id="new-secret"/);
    // The same cookie in its own session does show the key: the refusals above are not for another reason.
    const own = await (await t.request("/user", { headers: { cookie: `${cookie}; ${value}` } })).text();
    assert.match(own, /id="new-secret"/);
    clock.advance(2 * 60_000 + 1);
    const late = await (await t.request("/user", { headers: { cookie: `${cookie}; ${value}` } })).text();
    assert.doesNotMatch(late, /id="new-secret"/);
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
