import assert from "node:assert/strict";
import { Hono } from "hono";
import type { AppEnv } from "../../src/http/env.ts";
import { requestLog } from "../../src/http/request_log.ts";
import { fetchClientDocument } from "../../src/oauth/client_metadata_document.ts";
import { resolveClient } from "../../src/oauth/clients.ts";
import { oauthRouter } from "../../src/oauth/router.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { authorizeQuery, pkce, REDIRECT, sessionCookie } from "./_helpers.ts";

const CLIENT_ID = "https://client.example/oauth/metadata.json";
const DOC = {
  client_id: CLIENT_ID,
  client_name: "Doc Client",
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: "none",
  grant_types: ["authorization_code", "refresh_token"],
};

function stubFetch(body: unknown, { headers = {}, counter = { n: 0 } } = {}) {
  return {
    counter,
    fetch: ((_url: string | URL | Request) => {
      counter.n++;
      return Promise.resolve(
        new Response(typeof body === "string" ? body : JSON.stringify(body), {
          headers: { "content-type": "application/json", ...headers },
        }),
      );
    }) as typeof fetch,
  };
}

const publicResolve = () => Promise.resolve(["93.184.216.34"]);

Deno.test("fetchClientDocument: a host resolving to a private address is never fetched (SSRF guard)", async () => {
  const stub = stubFetch(DOC);
  for (const addrs of [["127.0.0.1"], ["93.184.216.34", "10.0.0.1"], []]) {
    await assert.rejects(
      fetchClientDocument(CLIENT_ID, { resolve: () => Promise.resolve(addrs), fetch: stub.fetch }),
      /public address|does not resolve/,
    );
  }
  assert.equal(stub.counter.n, 0);
});

Deno.test("fetchClientDocument: client_id must equal the URL; https, a path and no secret are required (CIMD draft §3, §4.1)", async () => {
  const cases: [string, unknown][] = [
    [CLIENT_ID, { ...DOC, client_id: "https://other.example/doc.json" }],
    [CLIENT_ID, { ...DOC, token_endpoint_auth_method: "client_secret_basic" }],
    [CLIENT_ID, { ...DOC, redirect_uris: ["javascript:alert(1)"] }],
    [CLIENT_ID, "not json"],
    ["http://client.example/doc.json", DOC],
    ["https://client.example/", DOC],
    ["https://client.example:8443/doc.json", DOC],
  ];
  for (const [id, body] of cases) {
    await assert.rejects(
      fetchClientDocument(id, { resolve: publicResolve, fetch: stubFetch(body).fetch }),
      /Client metadata document/,
      id,
    );
  }
  const big = stubFetch({ ...DOC, padding: "x".repeat(70 * 1024) });
  await assert.rejects(
    fetchClientDocument(CLIENT_ID, { resolve: publicResolve, fetch: big.fetch }),
    /too large/,
  );
});

Deno.test("resolveClient: a document is cached by its Cache-Control and fetched again after", async () => {
  const t = await testApp();
  try {
    const stub = stubFetch(DOC, { headers: { "cache-control": "max-age=120" } });
    const opts = { resolve: publicResolve, fetch: stub.fetch };
    const a = await resolveClient(t.deps, CLIENT_ID, opts);
    const b = await resolveClient(t.deps, CLIENT_ID, opts);
    assert.equal(a?.name, "Doc Client");
    assert.equal(b?.kind, "metadata_document");
    assert.equal(stub.counter.n, 1);
    await t.deps.db.query("update oauth_clients set expires_at = now() - interval '1 second'");
    await resolveClient(t.deps, CLIENT_ID, opts);
    assert.equal(stub.counter.n, 2);
  } finally {
    await t.close();
  }
});

Deno.test("metadata-document client: consent shows it unverified and the code exchange works with auth method none", async () => {
  const t = await testApp();
  try {
    const stub = stubFetch(DOC);
    const app = new Hono<AppEnv>();
    app.use("*", requestLog(t.deps));
    app.route("/", oauthRouter({ resolve: publicResolve, fetch: stub.fetch }));
    const u = await t.user();
    const cookie = await sessionCookie(t, u);
    const { verifier, challenge } = await pkce();
    const query = authorizeQuery(CLIENT_ID, challenge);
    const page = await app.request(`/oauth/authorize?${query}`, { headers: { cookie } });
    const html = await page.text();
    assert.equal(page.status, 200, html);
    assert.match(html, /Doc Client/);
    assert.match(html, /unverified/);
    assert.match(html, /client\.example/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    const decided = await app.request("/oauth/authorize", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        csrf,
        request: query,
        decision: "approve",
        access: "read",
        workspace: u.workspace.id,
      })
        .toString(),
    });
    assert.equal(decided.status, 303);
    const code = new URL(decided.headers.get("location")!).searchParams.get("code")!;
    const tokens = await expectJson(
      await app.request("/oauth/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          code_verifier: verifier,
          redirect_uri: REDIRECT,
          client_id: CLIENT_ID,
        }).toString(),
      }),
      200,
    );
    assert.match(tokens.access_token, /^oat_/);
  } finally {
    await t.close();
  }
});
