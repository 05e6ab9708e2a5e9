/**
 * An OAuth 2.1 sign-in against a running server as a client and a browser do it, over plain HTTP:
 * dynamic registration (RFC 7591), the authorization request with PKCE S256 (RFC 7636), the sign-in form,
 * consent, and the code exchange (RFC 6749 §4.1.3).
 */
import assert from "node:assert/strict";
import { pkce } from "../oauth/_helpers.ts";

const REDIRECT = "http://127.0.0.1:8976/callback";

/** The cookies a browser would keep for one origin. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  get header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, `the page has a CSRF field:\n${html.slice(0, 500)}`);
  return m[1];
}

/** Registers a client, signs in with the form, approves `workspaceId` and returns the token response. */
export async function oauthSignIn(
  base: string,
  jar: CookieJar,
  { email, password, workspaceId }: { email: string; password: string; workspaceId: string },
): Promise<{ access_token: string; refresh_token: string; token_type: string }> {
  const browser = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.header) headers.set("cookie", jar.header);
    if (init.method === "POST") headers.set("origin", base);
    const res = await fetch(new URL(path, base), { ...init, headers, redirect: "manual" });
    jar.take(res);
    return res;
  };
  const reg = await fetch(`${base}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Deploy test client",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
    }),
  });
  assert.equal(reg.status, 201);
  const { client_id } = await reg.json();
  const { verifier, challenge } = await pkce();
  const query = new URLSearchParams({
    response_type: "code",
    client_id,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: "st-deploy",
    resource: `${base}/mcp`,
    scope: "mcp:read",
  }).toString();

  const first = await browser(`/oauth/authorize?${query}`);
  await first.body?.cancel();
  assert.ok(
    [302, 303].includes(first.status),
    `authorize sends a signed-out browser to sign in (${first.status})`,
  );
  const loginUrl = new URL(first.headers.get("location")!, base);
  assert.equal(loginUrl.pathname, "/login");
  const loginPage = await browser(loginUrl.pathname + loginUrl.search);
  assert.equal(loginPage.status, 200);
  const login = await browser("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      csrf: csrfOf(await loginPage.text()),
      next: loginUrl.searchParams.get("next") ?? "/",
      email,
      password,
    }).toString(),
  });
  assert.equal(login.status, 303, await login.text());
  const back = login.headers.get("location")!;
  assert.match(back, /^\/oauth\/authorize\?/);

  const consent = await browser(back);
  const html = await consent.text();
  assert.equal(consent.status, 200, html);
  const form = new URLSearchParams({
    csrf: csrfOf(html),
    request: query,
    access: "read",
    decision: "approve",
  });
  form.append("workspace", workspaceId);
  const approved = await browser("/oauth/authorize", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  assert.equal(approved.status, 303, await approved.text());
  const redirect = new URL(approved.headers.get("location")!);
  assert.equal(redirect.searchParams.get("state"), "st-deploy");
  const code = redirect.searchParams.get("code");
  assert.ok(code, `a code in ${redirect}`);

  const token = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id,
      resource: `${base}/mcp`,
    }).toString(),
  });
  const body = await token.json();
  assert.equal(token.status, 200, JSON.stringify(body));
  return body;
}
