import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { createUser } from "../../src/services/users.ts";
import { type TestApp, testApp } from "../_helpers/app.ts";

const PASSWORD = "correct horse battery";

async function loginForm(t: TestApp, ip = "203.0.113.9") {
  const res = await t.app.request("/login?next=%2Fuser", {}, { remoteAddr: { hostname: ip } });
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
  const cookie = res.headers.get("set-cookie")!.split(";")[0];
  return { csrf, cookie, res };
}

async function login(t: TestApp, email: string, password: string, ip = "203.0.113.9") {
  const { csrf, cookie } = await loginForm(t, ip);
  return await t.app.request("/login", {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, email, password, next: "/user" }).toString(),
  }, { remoteAddr: { hostname: ip } });
}

Deno.test("login: the session cookie is HttpOnly, SameSite=Lax, and opens /user", async () => {
  const t = await testApp();
  try {
    const u = await createUser(t.deps.db, { email: "ann@example.com", password: PASSWORD });
    const res = await login(t, "Ann@Example.com", PASSWORD);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/user");
    const cookie = res.headers.get("set-cookie")!;
    assert.match(cookie, /^sluice_session=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/); // PUBLIC_URL is http in tests
    const page = await t.request("/user", { headers: { cookie: cookie.split(";")[0] } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /ann@example\.com/);
    const stored = await t.deps.db.query<{ id: string }>("select id from sessions where user_id = $1", [
      u.id,
    ]);
    assert.equal(stored.length, 1);
    assert.ok(!cookie.includes(stored[0].id), "the store keeps a hash of the cookie, not the cookie");
  } finally {
    await t.close();
  }
});

Deno.test("login: the cookie is Secure when PUBLIC_URL is https", async () => {
  const t = await testApp({ env: { PUBLIC_URL: "https://sluice.example" } });
  try {
    await createUser(t.deps.db, { email: "sec@example.com", password: PASSWORD });
    const res = await login(t, "sec@example.com", PASSWORD);
    assert.match(res.headers.get("set-cookie")!, /Secure/);
  } finally {
    await t.close();
  }
});

Deno.test("login: wrong password is 401; a login form post without its CSRF cookie is 403", async () => {
  const t = await testApp();
  try {
    await createUser(t.deps.db, { email: "bob@example.com", password: PASSWORD });
    const wrong = await login(t, "bob@example.com", "nope-nope-nope");
    assert.equal(wrong.status, 401);
    assert.ok(!(wrong.headers.get("set-cookie") ?? "").includes("sluice_session"));
    const forged = await t.request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: "x", email: "bob@example.com", password: PASSWORD }).toString(),
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("login throttle: five failures lock the account for that address briefly; other addresses and later logins work", async () => {
  const clock = fakeClock(new Date());
  const t = await testApp({ clock });
  try {
    await createUser(t.deps.db, { email: "cy@example.com", password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      const res = await login(t, "cy@example.com", `wrong-${i}-password`, "198.51.100.7");
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    const locked = await login(t, "cy@example.com", PASSWORD, "198.51.100.7");
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get("retry-after")) <= 15 * 60);
    await locked.body?.cancel();
    // The attacker's address is locked out, the user's own is not.
    const elsewhere = await login(t, "cy@example.com", PASSWORD, "203.0.113.50");
    assert.equal(elsewhere.status, 303);
    // Locks are short: after 30 s the address may try again.
    clock.advance(31_000);
    const later = await login(t, "cy@example.com", PASSWORD, "198.51.100.7");
    assert.equal(later.status, 303);
  } finally {
    await t.close();
  }
});

Deno.test("login throttle behind a proxy (TRUST_PROXY): one client's failures do not lock out the others", async () => {
  const t = await testApp({ env: { TRUST_PROXY: "true" } });
  const viaProxy = async (password: string, client: string) => {
    const { csrf, cookie } = await loginForm(t, "10.0.0.1");
    return await t.app.request("/login", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": client },
      body: new URLSearchParams({ csrf, email: "px@example.com", password, next: "/user" }).toString(),
    }, { remoteAddr: { hostname: "10.0.0.1" } });
  };
  try {
    await createUser(t.deps.db, { email: "px@example.com", password: PASSWORD });
    for (let i = 0; i < 5; i++) await (await viaProxy(`wrong-${i}-password`, "198.51.100.7")).body?.cancel();
    const locked = await viaProxy(PASSWORD, "198.51.100.7");
    assert.equal(locked.status, 429);
    await locked.body?.cancel();
    const other = await viaProxy(PASSWORD, "203.0.113.50");
    assert.equal(
      other.status,
      303,
      "the proxy's address is shared; the forwarded client address is what counts",
    );
  } finally {
    await t.close();
  }
});

Deno.test("login throttle behind a proxy: a made-up X-Forwarded-For first hop does not buy a fresh limit", async () => {
  const t = await testApp({ env: { TRUST_PROXY: "true" } });
  const viaProxy = async (password: string, spoofed: string) => {
    const { csrf, cookie } = await loginForm(t, "10.0.0.1");
    return await t.app.request("/login", {
      method: "POST",
      // What nginx's $proxy_add_x_forwarded_for sends: the client's own header, then the address it saw.
      headers: {
        cookie,
        "content-type": "application/x-www-form-urlencoded",
        "x-forwarded-for": `${spoofed}, 198.51.100.9`,
      },
      body: new URLSearchParams({ csrf, email: "spoof@example.com", password, next: "/user" }).toString(),
    }, { remoteAddr: { hostname: "10.0.0.1" } });
  };
  try {
    await createUser(t.deps.db, { email: "spoof@example.com", password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      await (await viaProxy(`wrong-${i}-password`, `192.0.2.${i + 1}`)).body?.cancel();
    }
    const locked = await viaProxy(PASSWORD, "192.0.2.99");
    assert.equal(locked.status, 429);
    await locked.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("logout: ends the session server-side", async () => {
  const t = await testApp();
  try {
    await createUser(t.deps.db, { email: "dee@example.com", password: PASSWORD });
    const res = await login(t, "dee@example.com", PASSWORD);
    const cookie = res.headers.get("set-cookie")!.split(";")[0];
    const page = await (await t.request("/user", { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
    const out = await t.request("/logout", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${csrf}`,
    });
    assert.equal(out.status, 303);
    const after = await t.request("/user", { headers: { cookie } });
    assert.equal(after.status, 302);
    assert.match(after.headers.get("location")!, /^\/login/);
  } finally {
    await t.close();
  }
});
