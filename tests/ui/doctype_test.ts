import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";
import { authorizeQuery, pkce, register, sessionCookie } from "../oauth/_helpers.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

Deno.test("every HTML page starts with <!DOCTYPE html> (no quirks mode), errors included", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const cookie = await sessionCookie(t, u);
    const client = await register(t);
    const { challenge } = await pkce();
    const query = authorizeQuery(client.client_id, challenge);
    // The expected status, or 4 for any client error (pages other helpers' code may refine).
    const pages: [string, RequestInit, number][] = [
      ["/login", {}, 200],
      ["/login", { method: "POST", headers: FORM, body: "email=a%40b.c&password=x" }, 403],
      ["/user", { headers: { cookie } }, 200],
      ["/user/keys/revoke", { method: "POST", headers: { ...FORM, cookie }, body: "id=x" }, 400],
      [`/oauth/authorize?${query}`, { headers: { cookie } }, 200],
      [`/oauth/authorize?${authorizeQuery("unknown-client", challenge)}`, { headers: { cookie } }, 400],
      ["/oauth/authorize", { method: "POST", headers: { ...FORM, cookie }, body: `request=x` }, 403],
      ["/setup", {}, 200],
      ["/api/docs", {}, 200],
      ["/setup", { method: "POST", headers: FORM, body: "token=wrong&email=a%40b.c&password=x" }, 4],
    ];
    for (const [path, init, status] of pages) {
      const res = await t.request(path, init);
      const label = `${init.method ?? "GET"} ${path}`;
      const html = await res.text();
      const got = status < 10 ? Math.floor(res.status / 100) : res.status;
      assert.equal(got, status, `${label}: ${res.status} ${html.slice(0, 300)}`);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/, label);
      assert.ok(
        html.startsWith("<!DOCTYPE html>"),
        `${label} starts with ${JSON.stringify(html.slice(0, 40))}`,
      );
    }
  } finally {
    await t.close();
  }
});
