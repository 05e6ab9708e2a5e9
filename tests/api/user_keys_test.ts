import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

Deno.test("POST /api/user/keys returns the plaintext once and the key authenticates", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const created = await expectJson(
      await t.request("/api/user/keys", {
        method: "POST",
        headers: { authorization: u.auth },
        json: { name: "ci" },
      }),
      201,
    );
    assert.match(created.plaintext, /^[a-z0-9]{24}:[A-Za-z0-9_-]{43}$/);
    assert.equal(created.name, "ci");
    assert.equal(created.expiresAt, null);
    const secret = created.plaintext.split(":")[1];
    assert.equal(created.hint, `${secret.slice(0, 3)}*${secret.slice(-3)}`);

    const list = await expectJson(
      await t.request("/api/user/keys", { headers: { authorization: `Bearer ${created.plaintext}` } }),
      200,
    );
    assert.equal(list.length, 2);
    const text = JSON.stringify(list);
    assert.ok(!text.includes(secret), "listing must never show a secret");
    assert.ok(!text.includes("hash") && !text.includes("salt"), "listing must never show a hash");
    const stored = await t.deps.db.query<{ hash: string }>("select hash from api_keys where id = $1", [
      created.id,
    ]);
    assert.notEqual(stored[0].hash, secret);
    assert.ok(!stored[0].hash.includes(secret));
  } finally {
    await t.close();
  }
});

Deno.test("a wrong secret, an unknown id, a revoked key and an expired key all get 401", async () => {
  const clock = fakeClock(new Date("2026-06-01T00:00:00Z"));
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    const [id] = u.key.split(":");
    const get = (auth: string) => t.request("/api/workspace", { headers: { authorization: auth } });
    assert.equal((await get(u.auth)).status, 200);
    assert.equal((await get(`Bearer ${id}:wrongsecret`)).status, 401);
    assert.equal((await get(`Bearer nosuchkeyid:${u.key.split(":")[1]}`)).status, 401);
    assert.equal((await get("Bearer garbage")).status, 401);
    const res = await get(`Bearer ${id}:nope`);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    await res.body?.cancel();

    const exp = await expectJson(
      await t.request("/api/user/keys", {
        method: "POST",
        headers: { authorization: u.auth },
        json: { expiresAt: "2026-06-02T00:00:00Z" },
      }),
      201,
    );
    assert.equal((await get(`Bearer ${exp.plaintext}`)).status, 200);
    clock.advance(2 * 86_400_000);
    assert.equal((await get(`Bearer ${exp.plaintext}`)).status, 401, "expired");
    assert.equal((await get(u.auth)).status, 200, "a never-expiring key keeps working");

    await expectJson(
      await t.request(`/api/user/keys?id=${id}`, { method: "DELETE", headers: { authorization: u.auth } }),
      200,
    );
    assert.equal((await get(u.auth)).status, 401, "revoked at once");
  } finally {
    await t.close();
  }
});
