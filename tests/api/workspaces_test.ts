import assert from "node:assert/strict";
import { Hono } from "hono";
import { requestLog } from "../../src/http/request_log.ts";
import type { AppEnv } from "../../src/http/env.ts";
import { addMember } from "../../src/store/workspaces_repo.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

Deno.test("workspaces: create, list, get by id or slug, update; the caller becomes owner", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const h = { authorization: u.auth };
    const created = await expectJson(
      await t.request("/api/workspace", { method: "POST", headers: h, json: { name: "Acme", slug: "acme" } }),
      201,
    );
    assert.equal(created.name, "Acme");
    assert.equal(created.slug, "acme");
    assert.equal(created.role, "owner");
    const list = await expectJson(await t.request("/api/workspace", { headers: h }), 200);
    assert.deepEqual(list.map((w: { name: string }) => w.name).sort(), ["Acme", u.workspace.name].sort());
    const paged = await expectJson(await t.request("/api/workspace?limit=1&offset=1", { headers: h }), 200);
    assert.equal(paged.length, 1);
    assert.equal(
      (await expectJson(await t.request("/api/workspace/acme", { headers: h }), 200)).id,
      created.id,
    );
    assert.equal(
      (await expectJson(await t.request(`/api/workspace/${created.id}`, { headers: h }), 200)).slug,
      "acme",
    );
    const updated = await expectJson(
      await t.request("/api/workspace/acme", {
        method: "PUT",
        headers: h,
        json: { name: "Acme Inc", slug: "acme-inc" },
      }),
      200,
    );
    assert.equal(updated.name, "Acme Inc");
    assert.equal(
      (await expectJson(await t.request("/api/workspace/acme-inc", { headers: h }), 200)).id,
      created.id,
    );
    const dup = await expectJson(
      await t.request("/api/workspace", {
        method: "POST",
        headers: h,
        json: { name: "Other", slug: "acme-inc" },
      }),
      409,
    );
    assert.match(dup.error.message, /slug "acme-inc" is taken/);
  } finally {
    await t.close();
  }
});

Deno.test("workspaces: another user's workspace is 404 (not 403), by id and by slug; admins see all", async () => {
  const t = await testApp();
  try {
    const alice = await t.user(undefined, { slug: "alice-ws" });
    const bob = await t.user();
    const h = { authorization: bob.auth };
    for (const ref of [alice.workspace.id, "alice-ws"]) {
      const res = await expectJson(await t.request(`/api/workspace/${ref}`, { headers: h }), 404);
      assert.equal(res.error.code, "not_found");
      await expectJson(
        await t.request(`/api/workspace/${ref}`, { method: "PUT", headers: h, json: { name: "x" } }),
        404,
      );
    }
    const bobs = await expectJson(await t.request("/api/workspace", { headers: h }), 200);
    assert.deepEqual(bobs.map((w: { id: string }) => w.id), [bob.workspace.id]);

    const admin = await t.user(undefined, { admin: true });
    const all = await expectJson(
      await t.request("/api/workspace", { headers: { authorization: admin.auth } }),
      200,
    );
    assert.ok(all.some((w: { id: string }) => w.id === alice.workspace.id));

    // An analyst sees the workspace but cannot change it.
    await addMember(t.deps.db, alice.workspace.id, bob.id, "analyst");
    await expectJson(await t.request("/api/workspace/alice-ws", { headers: h }), 200);
    const denied = await expectJson(
      await t.request("/api/workspace/alice-ws", { method: "PUT", headers: h, json: { name: "x" } }),
      403,
    );
    assert.match(denied.error.message, /analyst/);
  } finally {
    await t.close();
  }
});

Deno.test("bad input is a clear 4xx naming the field, never a 500", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const h = { authorization: u.auth, "content-type": "application/json" };
    const malformed = await expectJson(
      await t.request("/api/workspace", { method: "POST", headers: h, body: '{"name": "x",' }),
      400,
    );
    assert.match(malformed.error.message, /^Malformed JSON body: /);
    assert.ok(malformed.requestId);
    const missing = await expectJson(
      await t.request("/api/workspace", { method: "POST", headers: h, body: "{}" }),
      400,
    );
    assert.equal(missing.error.message, "Cannot create workspace: name: required");
    const badSlug = await expectJson(
      await t.request("/api/workspace", { method: "POST", headers: h, body: '{"name":"x","slug":"A B"}' }),
      400,
    );
    assert.deepEqual(badSlug.error.issues.map((i: { path: string }) => i.path), ["slug"]);
    const wrongType = await expectJson(
      await t.request("/api/workspace", { method: "POST", headers: h, body: '{"name":42}' }),
      400,
    );
    assert.match(wrongType.error.message, /name: must be a string/);
    const array = await expectJson(
      await t.request("/api/user/keys", { method: "POST", headers: h, body: "[1,2]" }),
      400,
    );
    assert.equal(array.error.message, "The JSON body must be an object");
    const pastExpiry = await expectJson(
      await t.request("/api/user/keys", {
        method: "POST",
        headers: h,
        body: '{"expiresAt":"2001-01-01T00:00:00Z"}',
      }),
      400,
    );
    assert.equal(pastExpiry.error.message, "Cannot create API key: expiresAt: must be in the future");
    const badDate = await expectJson(
      await t.request("/api/user/keys", { method: "POST", headers: h, body: '{"expiresAt":"tomorrow"}' }),
      400,
    );
    assert.match(badDate.error.message, /expiresAt: must be an ISO 8601 timestamp/);
    const noId = await expectJson(await t.request("/api/user/keys", { method: "DELETE", headers: h }), 400);
    assert.match(noId.error.message, /id is required/);
    await expectJson(await t.request("/api/user/keys?id=nope", { method: "DELETE", headers: h }), 404);
    await expectJson(await t.request("/api/nothing/here", { headers: h }), 404);
    const wrongMethod = await t.request("/api/workspace", { method: "DELETE", headers: h });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "GET, POST");
    await wrongMethod.body?.cancel();
    const big = await t.request("/api/workspace", {
      method: "POST",
      headers: h,
      body: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }),
    });
    assert.equal(big.status, 413);
    await big.body?.cancel();
    await expectJson(await t.request("/api/workspace?limit=abc", { headers: h }), 400);
    assert.ok(!t.logLines.some((l) => l.includes('"status":500')), "no 500s were logged");
  } finally {
    await t.close();
  }
});

Deno.test("request logs carry method, path, status, ms and request id, and never a bearer value", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    await (await t.request("/api/workspace?writekey=abc:def", {
      headers: { authorization: u.auth, "x-request-id": "req-123" },
    })).body?.cancel();
    await (await t.request("/api/workspace", {
      headers: { authorization: `Bearer ${u.key.split(":")[0]}:wrong` },
    })).body?.cancel();
    const line = t.logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === "req-123");
    assert.ok(line, "request line logged");
    assert.equal(line.method, "GET");
    assert.equal(line.path, "/api/workspace");
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, "number");
    const all = t.logLines.join("\n");
    assert.ok(!all.includes(u.key.split(":")[1]), "no key secret in logs");
    assert.ok(!all.includes("abc:def"), "no query strings in logs");
  } finally {
    await t.close();
  }
});

Deno.test("GET /healthz checks the database and GET /version reports the version", async () => {
  const t = await testApp();
  try {
    assert.deepEqual(await expectJson(await t.request("/healthz"), 200), {
      status: "ok",
      database: "pglite",
    });
    assert.equal((await expectJson(await t.request("/version"), 200)).name, "sluice");
    await t.deps.db.close();
    const down = await expectJson(await t.request("/healthz"), 503);
    assert.equal(down.status, "error");
  } finally {
    await t.close();
  }
});

Deno.test("every response carries X-Request-Id: JSON, errors, a raw MCP Response, and a 404", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const cases: [string, RequestInit][] = [
      ["/api/workspace", { headers: { authorization: u.auth, "x-request-id": "json-1" } }],
      ["/api/workspace", { headers: { authorization: "Bearer nope:nope", "x-request-id": "err-1" } }],
      ["/mcp", {
        method: "POST",
        headers: {
          authorization: u.auth,
          "x-request-id": "mcp-1",
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      }],
      ["/no/such/path", { headers: { "x-request-id": "nf-1" } }],
    ];
    for (const [path, init] of cases) {
      const res = await t.request(path, init);
      await res.body?.cancel();
      const sent = new Headers(init.headers).get("x-request-id");
      assert.equal(res.headers.get("x-request-id"), sent, `${path} (${res.status})`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("a response with immutable headers still gets X-Request-Id (copied, not lost)", async () => {
  const t = await testApp();
  try {
    const app = new Hono<AppEnv>();
    app.use("*", requestLog(t.deps));
    app.get("/redirect", () => Response.redirect("http://localhost:3000/elsewhere", 302));
    const res = await app.request("/redirect", { headers: { "x-request-id": "immutable-1" } });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "http://localhost:3000/elsewhere");
    assert.equal(res.headers.get("x-request-id"), "immutable-1");
  } finally {
    await t.close();
  }
});
