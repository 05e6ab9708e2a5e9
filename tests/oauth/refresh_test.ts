import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { connect, RESOURCE, tokenRequest } from "./_helpers.ts";

function refresh(t: TestApp, clientId: string, token: string, extra: Record<string, string> = {}) {
  return tokenRequest(t, {
    grant_type: "refresh_token",
    refresh_token: token,
    client_id: clientId,
    ...extra,
  });
}

async function status(t: TestApp, accessToken: string) {
  const res = await t.request("/api/workspace", { headers: { authorization: `Bearer ${accessToken}` } });
  await res.body?.cancel();
  return res.status;
}

Deno.test("refresh: rotates on every use; the old token works once more within the grace window (OAuth 2.1 §4.3.1)", async () => {
  const clock = fakeClock(new Date());
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    const { client, tokens } = await connect(t, u);
    const a = await expectJson(await refresh(t, client.client_id, tokens.refresh_token), 200);
    clock.advance(5_000);
    // A second session of the same client races with the old token: allowed once.
    const b = await expectJson(await refresh(t, client.client_id, tokens.refresh_token), 200);
    assert.notEqual(a.refresh_token, b.refresh_token);
    assert.equal(await status(t, a.access_token), 200);
    assert.equal(await status(t, b.access_token), 200);
    // Both successors keep working.
    await expectJson(await refresh(t, client.client_id, a.refresh_token), 200);
    await expectJson(await refresh(t, client.client_id, b.refresh_token), 200);
  } finally {
    await t.close();
  }
});

Deno.test("refresh: reuse after the grace window revokes the whole grant (RFC 9700 §4.14.2, OAuth 2.1 §4.3.1)", async () => {
  const clock = fakeClock(new Date());
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    const { client, tokens } = await connect(t, u);
    const next = await expectJson(await refresh(t, client.client_id, tokens.refresh_token), 200);
    clock.advance(61_000);
    const reuse = await expectJson(await refresh(t, client.client_id, tokens.refresh_token), 400);
    assert.equal(reuse.error, "invalid_grant");
    assert.equal(await status(t, next.access_token), 401);
    const after = await expectJson(await refresh(t, client.client_id, next.refresh_token), 400);
    assert.equal(after.error, "invalid_grant");
  } finally {
    await t.close();
  }
});

Deno.test("refresh: a second reuse inside the grace window also revokes the grant (OAuth 2.1 §4.3.1)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const { client, tokens } = await connect(t, u);
    await expectJson(await refresh(t, client.client_id, tokens.refresh_token), 200);
    await expectJson(await refresh(t, client.client_id, tokens.refresh_token), 200);
    assert.equal(
      (await expectJson(await refresh(t, client.client_id, tokens.refresh_token), 400)).error,
      "invalid_grant",
    );
  } finally {
    await t.close();
  }
});

Deno.test("refresh: can narrow the scope but never widen it (RFC 6749 §6)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ro = await connect(t, u);
    const widen = await expectJson(
      await refresh(t, ro.client.client_id, ro.tokens.refresh_token, { scope: "mcp:read mcp:write" }),
      400,
    );
    assert.equal(widen.error, "invalid_scope");
    const u2 = await t.user();
    const rw = await connect(t, u2, { access: "write" });
    const narrowed = await expectJson(
      await refresh(t, rw.client.client_id, rw.tokens.refresh_token, { scope: "mcp:read" }),
      200,
    );
    assert.equal(narrowed.scope, "mcp:read");
    // The narrowed token cannot write: the REST API answers 403 for a read-only credential.
    const res = await t.request("/api/workspace", {
      method: "POST",
      headers: { authorization: `Bearer ${narrowed.access_token}` },
      json: { name: "new" },
    });
    assert.equal(res.status, 403);
    await res.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("refresh: the resource is inherited; omitted or with a trailing slash works, another is invalid_target (RFC 8707 §2.2)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const { client, tokens } = await connect(t, u);
    const a = await expectJson(
      await refresh(t, client.client_id, tokens.refresh_token, { resource: `${RESOURCE}/` }),
      200,
    );
    const b = await expectJson(await refresh(t, client.client_id, a.refresh_token), 200);
    const other = await expectJson(
      await refresh(t, client.client_id, b.refresh_token, { resource: "https://other.example/mcp" }),
      400,
    );
    assert.equal(other.error, "invalid_target");
  } finally {
    await t.close();
  }
});

Deno.test("refresh: another client's refresh token and an access token are invalid_grant (RFC 6749 §6, §10.4)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const a = await connect(t, u);
    const b = await connect(t, await t.user());
    assert.equal(
      (await expectJson(await refresh(t, b.client.client_id, a.tokens.refresh_token), 400)).error,
      "invalid_grant",
    );
    assert.equal(
      (await expectJson(await refresh(t, a.client.client_id, a.tokens.access_token), 400)).error,
      "invalid_grant",
    );
  } finally {
    await t.close();
  }
});

Deno.test("refresh: two sessions of one client refreshing with the same token at once both get working tokens", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const { client, tokens } = await connect(t, u);
    const [a, b] = await Promise.all([
      refresh(t, client.client_id, tokens.refresh_token),
      refresh(t, client.client_id, tokens.refresh_token),
    ]);
    const [ja, jb] = [await expectJson(a, 200), await expectJson(b, 200)];
    assert.notEqual(ja.access_token, jb.access_token);
    assert.equal(await status(t, ja.access_token), 200);
    assert.equal(await status(t, jb.access_token), 200);
  } finally {
    await t.close();
  }
});
