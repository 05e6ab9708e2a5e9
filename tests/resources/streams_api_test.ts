import assert from "node:assert/strict";
import { hashSecret } from "../../src/auth/credentials.ts";
import { timingSafeEqual } from "../../src/auth/crypto.ts";
import { findStreamByKeyId } from "../../src/services/pipeline_config.ts";
import { testApp } from "../_helpers/app.ts";
import { client, expectStatus } from "./_client.ts";

Deno.test("a stream created without keys gets one server key, shown once as keyId:secret", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const s = expectStatus(
      await c.cfg("POST", "stream", { name: "Site", domains: ["Shop.Example.COM"] }),
      201,
    );
    assert.deepEqual(s.domains, ["shop.example.com"], "domains are stored lowercased");
    assert.match(s.writeKey, /^[a-z0-9]{24}:[A-Za-z0-9_-]{43}$/);
    const [keyId, secret] = s.writeKey.split(":");
    assert.deepEqual(s.publicKeys, []);
    assert.equal(s.privateKeys.length, 1);
    assert.deepEqual(Object.keys(s.privateKeys[0]).sort(), ["createdAt", "hint", "id", "lastUsed"]);
    assert.equal(s.privateKeys[0].id, keyId);
    assert.equal(s.privateKeys[0].hint, `${secret.slice(0, 3)}*${secret.slice(-3)}`);

    const got = expectStatus(await c.cfg("GET", `stream/${s.id}`), 200);
    assert.equal(got.writeKey, undefined, "the plaintext is never shown again");
    assert.ok(!JSON.stringify(got).includes(secret));

    // The key verifies the way ingest will check it.
    const found = await findStreamByKeyId(t.deps.db, keyId);
    assert.ok(found);
    assert.equal(found.streamId, s.id);
    assert.equal(found.workspaceId, u.workspace.id);
    assert.equal(found.kind, "server");
    const h = await hashSecret(t.deps.secrets, found.pepperId, found.salt, secret);
    assert.ok(timingSafeEqual(h, found.hash));
    assert.ok(
      !timingSafeEqual(await hashSecret(t.deps.secrets, found.pepperId, found.salt, "wrong"), found.hash),
    );
  } finally {
    await t.close();
  }
});

Deno.test("stream keys: {id, plaintext} adds, {id} keeps, leaving one out deletes it", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const s = expectStatus(
      await c.cfg("POST", "stream", {
        name: "Site",
        publicKeys: [{ id: "browser-key-1", plaintext: "browser-secret-0123456789" }],
      }),
      201,
    );
    assert.equal(s.writeKey, undefined, "keys were given: none generated");
    assert.deepEqual(s.privateKeys, []);
    assert.equal(s.publicKeys[0].id, "browser-key-1");
    assert.equal(s.publicKeys[0].hint, "bro*789");
    assert.equal((await findStreamByKeyId(t.deps.db, "browser-key-1"))?.kind, "browser");

    const added = expectStatus(
      await c.cfg("PUT", `stream/${s.id}`, {
        publicKeys: [{ id: "browser-key-1" }, { id: "browser-key-2", plaintext: "second-secret-0123456789" }],
        privateKeys: [{ id: "server-key-1", plaintext: "server-secret-0123456789" }],
      }),
      200,
    );
    assert.deepEqual(added.publicKeys.map((k: { id: string }) => k.id), ["browser-key-1", "browser-key-2"]);
    assert.deepEqual(added.privateKeys.map((k: { id: string }) => k.id), ["server-key-1"]);

    // A rename leaves keys alone (lists absent from the patch are kept).
    const renamed = expectStatus(await c.cfg("PUT", `stream/${s.id}`, { name: "Renamed" }), 200);
    assert.equal(renamed.publicKeys.length, 2);

    const dropped = expectStatus(
      await c.cfg("PUT", `stream/${s.id}`, { publicKeys: [{ id: "browser-key-2" }] }),
      200,
    );
    assert.deepEqual(dropped.publicKeys.map((k: { id: string }) => k.id), ["browser-key-2"]);
    assert.equal(await findStreamByKeyId(t.deps.db, "browser-key-1"), null);

    const unknown = expectStatus(
      await c.cfg("PUT", `stream/${s.id}`, { publicKeys: [{ id: "nope-key" }] }),
      400,
    );
    assert.equal(
      unknown.error.message,
      `Cannot update stream "${s.id}": publicKeys.0.plaintext: required for a new key`,
    );
    const short = expectStatus(
      await c.cfg("PUT", `stream/${s.id}`, { privateKeys: [{ id: "k-short", plaintext: "short" }] }),
      400,
    );
    assert.equal(short.error.issues[0].path, "privateKeys.0.plaintext");

    const other = expectStatus(
      await c.cfg("POST", "stream", {
        name: "Other",
        privateKeys: [{ id: "server-key-1", plaintext: "x".repeat(20) }],
      }),
      409,
    );
    assert.match(other.error.message, /key id "server-key-1" is already used by another stream/);
    assert.equal(expectStatus(await c.cfg("GET", "stream"), 200).total, 1, "the failed create rolled back");

    expectStatus(await c.cfg("DELETE", `stream/${s.id}`), 200);
    assert.equal(
      await findStreamByKeyId(t.deps.db, "browser-key-2"),
      null,
      "a deleted stream's keys stop working",
    );
  } finally {
    await t.close();
  }
});
