import assert from "node:assert/strict";
import { MAX_FORM_BODY, MAX_JSON_BODY } from "../../src/http/body.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

const CHUNK = 16 * 1024;

/** A body that never ends: 16 KB chunks for ever. Records how much was pulled and whether it was cancelled. */
function endlessBody() {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      seen.pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK).fill(0x61));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

async function postEndless(
  t: Awaited<ReturnType<typeof testApp>>,
  path: string,
  headers: Record<string, string>,
) {
  const { stream, seen } = endlessBody();
  const res = await t.request(path, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
  return { res, seen };
}

Deno.test("body limits: an endless chunked body is cut at the limit and cancelled, on forms, REST, MCP and OAuth", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const json = { "content-type": "application/json", authorization: u.auth };
    const cases: [string, Record<string, string>, number][] = [
      ["/login", form, MAX_FORM_BODY],
      ["/setup", form, MAX_FORM_BODY],
      ["/oauth/authorize", form, MAX_FORM_BODY],
      ["/oauth/token", form, MAX_FORM_BODY],
      ["/oauth/revoke", form, MAX_FORM_BODY],
      ["/oauth/register", { "content-type": "application/json" }, MAX_FORM_BODY],
      [`/api/${u.workspace.id}/config/function`, json, MAX_JSON_BODY],
      [`/api/${u.workspace.id}/function/run`, json, MAX_JSON_BODY],
      ["/mcp", { ...json, accept: "application/json, text/event-stream" }, MAX_JSON_BODY],
    ];
    for (const [path, headers, limit] of cases) {
      const { res, seen } = await postEndless(t, path, headers);
      assert.equal(res.status, 413, `${path}: ${res.status} ${await res.clone().text()}`);
      assert.match(await res.text(), /too large|larger than/i, path);
      assert.ok(seen.cancelled, `${path}: the body stream was cancelled`);
      // The stream may run a few chunks ahead of the reader, never far past the limit.
      assert.ok(seen.pulled <= limit + 4 * CHUNK, `${path}: read ${seen.pulled} bytes for a ${limit} limit`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("body limits: a declared Content-Length over a form's limit is refused before reading", async () => {
  const t = await testApp();
  try {
    const { stream, seen } = endlessBody();
    const res = await t.request("/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(MAX_FORM_BODY + 1),
      },
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 413);
    await res.body?.cancel();
    assert.ok(seen.pulled <= 2 * CHUNK, `read ${seen.pulled} bytes`);
  } finally {
    await t.close();
  }
});

Deno.test("REST refuses non-JSON bodies with 415 naming application/json; JSON and no Content-Type pass", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const body = JSON.stringify({ name: "Acme" });
    for (
      const type of [
        "text/xml",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "text/plain",
      ]
    ) {
      const res = await t.request("/api/workspace", {
        method: "POST",
        headers: { authorization: u.auth, "content-type": type },
        body,
      });
      const out = await expectJson(res, 415);
      assert.equal(out.error.code, "unsupported_media_type", type);
      assert.match(out.error.message, /send Content-Type: application\/json/, type);
    }
    const declared = await t.request("/api/workspace", {
      method: "POST",
      headers: { authorization: u.auth, "content-type": "application/json; charset=utf-8" },
      body,
    });
    await expectJson(declared, 201);
    // A byte body gets no Content-Type from the Request constructor: no declared type is read as JSON.
    const undeclared = await t.request("/api/workspace", {
      method: "POST",
      headers: { authorization: u.auth },
      body: new TextEncoder().encode(JSON.stringify({ name: "Beta" })),
    });
    assert.equal(undeclared.headers.get("content-type")?.startsWith("application/json"), true);
    await expectJson(undeclared, 201);
  } finally {
    await t.close();
  }
});

Deno.test("MCP answers 415 to a body that is not declared as JSON", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const message = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const res = await t.request("/mcp", {
        method: "POST",
        headers: {
          authorization: u.auth,
          "content-type": type,
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body: message,
      });
      const out = await expectJson(res, 415);
      assert.match(out.error.message, /send Content-Type: application\/json/);
    }
  } finally {
    await t.close();
  }
});

Deno.test("the consent form keeps repeated fields and a login form post still signs in", async () => {
  // Repeated `workspace` fields are the consent form's multi-select; readForm must keep them all.
  const { readForm } = await import("../../src/http/body.ts");
  const { Hono } = await import("hono");
  const app = new Hono();
  app.post("/all", async (c) => c.json(await readForm(c, { all: true })));
  app.post("/last", async (c) => c.json(await readForm(c)));
  const init = {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "workspace=a&workspace=b&csrf=x%20y",
  };
  assert.deepEqual(await (await app.request("/all", init)).json(), { workspace: ["a", "b"], csrf: "x y" });
  assert.deepEqual(await (await app.request("/last", init)).json(), { workspace: "b", csrf: "x y" });
});
