/**
 * Helpers for the authorization-server tests: a signed-in browser (a session row and its cookie), PKCE
 * pairs, client registration, and the authorize -> consent -> code -> token steps as a client does them.
 */
import assert from "node:assert/strict";
import { randomToken, sha256Hex, toBase64Url } from "../../src/auth/crypto.ts";
import { insertSession } from "../../src/store/sessions_repo.ts";
import { expectJson, type TestApp, type TestUser } from "../_helpers/app.ts";

export const REDIRECT = "http://127.0.0.1:8976/callback";
export const ISSUER = "http://localhost:3000";
export const RESOURCE = "http://localhost:3000/mcp";

/** A session cookie for `user`, as if they had signed in. */
export async function sessionCookie(t: TestApp, user: { id: string }): Promise<string> {
  const value = randomToken(32);
  const now = t.deps.clock.now();
  await insertSession(t.deps.db, {
    id: await sha256Hex(value),
    user_id: user.id,
    created_at: now,
    expires_at: new Date(now.getTime() + 3600_000),
    last_seen_at: now,
  });
  return `sluice_session=${value}`;
}

/** A PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2). */
export async function pkce() {
  const verifier = randomToken(32);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: toBase64Url(new Uint8Array(digest)) };
}

/** Registers a client dynamically (RFC 7591) and returns the 201 body. */
export async function register(t: TestApp, metadata: Record<string, unknown> = {}) {
  return await expectJson(
    await t.request("/oauth/register", {
      method: "POST",
      json: {
        client_name: "Test client",
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        ...metadata,
      },
    }),
    201,
  );
}

/** The authorization request query (RFC 6749 §4.1.1) with PKCE; `extra` overrides or removes (null). */
export function authorizeQuery(
  clientId: string,
  challenge: string,
  extra: Record<string, string | null> = {},
) {
  const q: Record<string, string | null> = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: "st-123",
    resource: RESOURCE,
    scope: "mcp:read mcp:write",
    ...extra,
  };
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== null) p.set(k, v);
  return p.toString();
}

/** Reads the consent page's CSRF token. */
export function csrfFrom(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, "the page has a CSRF field");
  return m[1];
}

/** Shows consent and approves it; returns the redirect Location. */
export async function approve(
  t: TestApp,
  cookie: string,
  query: string,
  { workspaces, access = "read", decision = "approve" }: {
    workspaces: string[];
    access?: "read" | "write";
    decision?: string;
  },
): Promise<URL> {
  const page = await t.request(`/oauth/authorize?${query}`, { headers: { cookie } });
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const form = new URLSearchParams({ csrf: csrfFrom(html), request: query, access, decision });
  for (const w of workspaces) form.append("workspace", w);
  const res = await t.request("/oauth/authorize", {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  assert.equal(res.status, 303, await res.text());
  return new URL(res.headers.get("location")!);
}

/** POSTs a form to the token endpoint. */
export async function tokenRequest(t: TestApp, params: Record<string, string>, headers: HeadersInit = {}) {
  return await t.request("/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

/** Everything up to a token response: registration, consent, code exchange. */
export async function connect(
  t: TestApp,
  user: TestUser,
  { access = "read" as "read" | "write", metadata = {} as Record<string, unknown> } = {},
) {
  const client = await register(t, metadata);
  const { verifier, challenge } = await pkce();
  const cookie = await sessionCookie(t, user);
  const location = await approve(t, cookie, authorizeQuery(client.client_id, challenge), {
    workspaces: [user.workspace.id],
    access,
  });
  const code = location.searchParams.get("code")!;
  const res = await tokenRequest(t, {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: client.client_id,
    resource: RESOURCE,
  });
  const tokens = await expectJson(res, 200);
  return { client, tokens, cookie, verifier, code };
}
