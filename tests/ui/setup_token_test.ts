import assert from "node:assert/strict";
import { sha256Hex } from "../../src/auth/crypto.ts";
import { fakeClock } from "../../src/clock.ts";
import { bootstrap, issueSetupLink, SETUP_TOKEN_TTL_MS } from "../../src/services/bootstrap.ts";
import { testApp } from "../_helpers/app.ts";

function tokenOf(link: string | null): string {
  const m = /\/setup\?token=([A-Za-z0-9_-]+)$/.exec(link ?? "");
  assert.ok(m, `not a setup link: ${link}`);
  return m[1];
}

function setupForm(token: string) {
  return new URLSearchParams({ token, email: "first@example.com", password: "long enough password" });
}

Deno.test("bootstrap() keeps one hashed setup token for 24 hours and makes a new one only after it expired", async () => {
  const clock = fakeClock();
  const t = await testApp({ clock });
  try {
    const first = tokenOf(await bootstrap(t.deps));
    const rows = await t.deps.db.query<{ token_hash: string }>("select token_hash from setup_tokens");
    assert.deepEqual(rows.map((r) => r.token_hash), [await sha256Hex(first)], "only the hash is stored");

    clock.advance(SETUP_TOKEN_TTL_MS - 1000);
    assert.equal(await bootstrap(t.deps), null, "a restart within 24 hours issues no new token");
    assert.match(
      t.logLines.at(-1)!,
      /A setup link was printed at 2026-01-01T00:00:00.000Z and works until 2026-01-02/,
    );
    assert.equal((await t.deps.db.query("select 1 from setup_tokens")).length, 1);

    clock.advance(2000);
    const second = tokenOf(await bootstrap(t.deps));
    assert.notEqual(second, first);
    assert.equal((await t.deps.db.query("select 1 from setup_tokens")).length, 1, "the expired one is gone");
    const old = await t.request("/setup", { method: "POST", body: setupForm(first) });
    assert.equal(old.status, 403);
    assert.match(await old.text(), /invalid, expired or was already used/);
  } finally {
    await t.close();
  }
});

Deno.test("a setup link stops working 24 hours after it was issued", async () => {
  const clock = fakeClock();
  const t = await testApp({ clock });
  try {
    const token = tokenOf(await bootstrap(t.deps));
    clock.advance(SETUP_TOKEN_TTL_MS + 1);
    const res = await t.request("/setup", { method: "POST", body: setupForm(token) });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    assert.equal((await t.deps.db.query("select 1 from users")).length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("issueSetupLink() replaces the live link, and is refused once an admin exists", async () => {
  const clock = fakeClock();
  const t = await testApp({ clock });
  try {
    const printed = tokenOf(await bootstrap(t.deps));
    const { link, expiresAt } = await issueSetupLink(t.deps);
    assert.equal(expiresAt.toISOString(), "2026-01-02T00:00:00.000Z");
    const fresh = tokenOf(link);
    const old = await t.request("/setup", { method: "POST", body: setupForm(printed) });
    assert.equal(old.status, 403, "the link printed before stops working");
    await old.body?.cancel();
    const ok = await t.request("/setup", { method: "POST", body: setupForm(fresh) });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    await assert.rejects(issueSetupLink(t.deps), /Setup is already done/);
  } finally {
    await t.close();
  }
});

Deno.test("the setup page's ready screen links to /user to create an API key, not to a CLI command", async () => {
  const t = await testApp();
  try {
    const token = tokenOf(await bootstrap(t.deps));
    const res = await t.request("/setup", { method: "POST", body: setupForm(token) });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /Sluice is ready/);
    assert.match(html, /<a href="\/user">create a personal API key<\/a>/);
    assert.doesNotMatch(html, /sluice apikey create/);
  } finally {
    await t.close();
  }
});
