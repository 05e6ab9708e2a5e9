/**
 * A full run with the log captured: ingest with write keys in the path (Segment's settings), the query
 * (`?writekey=`, the pixel), Basic auth, a bearer and the body; the management API with an API key; a
 * login with a password; an OAuth authorization with its code, verifier and tokens. No secret used appears
 * in any log line.
 */
import assert from "node:assert/strict";
import { startServer } from "../../src/server.ts";
import { createUser } from "../../src/services/users.ts";
import { testApp } from "../_helpers/app.ts";
import { basicAuth, setupPipeline } from "../pipeline/fixtures.ts";
import { connect, RESOURCE, tokenRequest } from "../oauth/_helpers.ts";

Deno.test("no write key, bearer, Basic credential, password or OAuth secret reaches the log", async () => {
  const t = await testApp();
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    const secrets: string[] = [s.browserKey, s.serverKey, u.key];
    const at = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
    const ok = async (res: Response, status = 200) => {
      const text = await res.text();
      assert.equal(res.status, status, text);
      return text;
    };

    // Ingest, the key in every place a client puts it.
    await ok(await at(`/v1/projects/${s.browserKey}/settings`));
    await ok(await at(`/v1/projects/${encodeURIComponent(s.browserKey)}/settings`));
    await ok(await at(`/projects/${s.browserKey}/settings`));
    await ok(
      await at(`/api/s/track?writekey=${encodeURIComponent(s.browserKey)}`, {
        method: "POST",
        body: JSON.stringify({ event: "q" }),
      }),
    );
    const data = btoa(JSON.stringify({ event: "px" }));
    await ok(await at(`/api/px/track?writekey=${encodeURIComponent(s.browserKey)}&data=${data}`));
    await ok(
      await at("/v1/track", {
        method: "POST",
        headers: { authorization: basicAuth(s.serverKey), "content-type": "application/json" },
        body: JSON.stringify({ userId: "u", event: "basic" }),
      }),
    );
    await ok(
      await at("/api/s/s2s/track", {
        method: "POST",
        headers: { authorization: `Bearer ${s.serverKey}`, "content-type": "application/json" },
        body: JSON.stringify({ event: "bearer" }),
      }),
    );
    await ok(
      await at("/v1/t", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ writeKey: s.browserKey, type: "track", event: "body" }),
      }),
    );
    const wrongKey = `${s.browserKey.split(":")[0]}:wrong-secret-${crypto.randomUUID()}`;
    secrets.push(wrongKey);
    await ok(
      await at(`/api/s/track?writekey=${encodeURIComponent(wrongKey)}`, {
        method: "POST",
        body: JSON.stringify({ event: "w" }),
      }),
    );
    await ok(await at(`/v1/projects/${wrongKey}/settings`));

    // The management API with an API key, and a refused bearer.
    await ok(await at("/api/workspace", { headers: { authorization: u.auth } }));
    const badBearer = `sk_bad:${crypto.randomUUID()}`;
    secrets.push(badBearer);
    await ok(await at("/api/workspace", { headers: { authorization: `Bearer ${badBearer}` } }), 401);

    // A login with a password (and a wrong one).
    const password = `pw-${crypto.randomUUID()}`;
    secrets.push(password, "wrong-password-never-logged");
    await createUser(t.deps.db, { email: "logs@example.com", password });
    for (const pw of [password, "wrong-password-never-logged"]) {
      const form = await at("/login");
      const html = await form.text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
      const cookie = form.headers.get("set-cookie")!.split(";")[0];
      const res = await at("/login", {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf, email: "logs@example.com", password: pw, next: "/user" })
          .toString(),
        redirect: "manual",
      });
      await res.body?.cancel();
      assert.ok(res.status === 303 || res.status === 200 || res.status === 401, `login: ${res.status}`);
    }

    // OAuth: registration, consent, code exchange, the access token used, a refresh.
    const { client, tokens, code, verifier } = await connect(t, u);
    secrets.push(tokens.access_token, tokens.refresh_token, code, verifier);
    if (client.client_secret) secrets.push(client.client_secret);
    await ok(await at("/api/workspace", { headers: { authorization: `Bearer ${tokens.access_token}` } }));
    const refreshed = await tokenRequest(t, {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: client.client_id,
      resource: RESOURCE,
    });
    const again = await refreshed.json();
    assert.equal(refreshed.status, 200, JSON.stringify(again));
    secrets.push(again.access_token, again.refresh_token);

    const log = t.logLines.join("\n");
    assert.match(log, /\/v1\/projects\/\*\*\*\/settings/, "the settings request is logged, its key masked");
    assert.ok(t.logLines.length > 20, `${t.logLines.length} log lines`);
    for (const secret of secrets) {
      const parts = [secret, secret.includes(":") ? secret.slice(secret.indexOf(":") + 1) : secret];
      for (const p of [...parts, ...parts.map(encodeURIComponent)]) {
        const line = t.logLines.find((l) => l.includes(p));
        assert.equal(line, undefined, `a secret (${p.slice(0, 4)}...) is in the log: ${line}`);
      }
    }
  } finally {
    await server.shutdown();
    await t.close();
  }
});
