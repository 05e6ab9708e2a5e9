import assert from "node:assert/strict";
import { rotateStoredPepper } from "../../src/auth/secrets.ts";
import { openDeps } from "../../src/compose.ts";
import { loadConfig } from "../../src/config.ts";
import { memoryLogger } from "../../src/log.ts";
import { testPglite } from "../_helpers/db.ts";
import { testApp } from "../_helpers/app.ts";

Deno.test("a generated pepper and encryption key are kept in the store and survive a restart", async () => {
  const db = await testPglite();
  const config = loadConfig({});
  const first = await openDeps(config, { db, log: memoryLogger() });
  const second = await openDeps(config, { db, log: memoryLogger() });
  assert.equal(first.secrets.currentPepperId, second.secrets.currentPepperId);
  assert.equal(first.secrets.pepper("p1"), second.secrets.pepper("p1"));
  assert.ok((first.secrets.pepper("p1") ?? "").length >= 32);
  assert.deepEqual(first.secrets.encryptionKey, second.secrets.encryptionKey);
  assert.equal(first.secrets.encryptionKey.length, 32);
  await db.close();
});

Deno.test("rotating the stored pepper keeps old keys working and re-hashes them on use", async () => {
  const t = await testApp({ env: { SLUICE_PEPPER: "" } });
  try {
    const u = await t.user();
    const [id] = u.key.split(":");
    const before = await t.deps.db.query<{ pepper_id: string; hash: string }>(
      "select pepper_id, hash from api_keys where id = $1",
      [id],
    );
    assert.equal(before[0].pepper_id, "p1");
    assert.equal(await rotateStoredPepper(t.deps.db), "p2");
    // A restarted process loads the rotated pepper.
    const deps = await openDeps(t.deps.config, { db: t.deps.db, log: memoryLogger() });
    assert.equal(deps.secrets.currentPepperId, "p2");
    const { createApp } = await import("../../src/app.ts");
    const app = createApp(deps);
    const res = await app.request("/api/workspace", { headers: { authorization: u.auth } });
    assert.equal(res.status, 200);
    const after = await t.deps.db.query<{ pepper_id: string; hash: string }>(
      "select pepper_id, hash from api_keys where id = $1",
      [id],
    );
    assert.equal(after[0].pepper_id, "p2");
    assert.notEqual(after[0].hash, before[0].hash);
    assert.equal((await app.request("/api/workspace", { headers: { authorization: u.auth } })).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("SLUICE_PEPPER with several values: the first is current, the others still verify", async () => {
  const t = await testApp({ env: { SLUICE_PEPPER: "old-pepper-0123456789" } });
  try {
    const u = await t.user();
    const deps = await openDeps(
      loadConfig({ SLUICE_PEPPER: "new-pepper-0123456789,old-pepper-0123456789" }),
      {
        db: t.deps.db,
        log: memoryLogger(),
      },
    );
    const { createApp } = await import("../../src/app.ts");
    const res = await createApp(deps).request("/api/workspace", { headers: { authorization: u.auth } });
    assert.equal(res.status, 200);
    const onlyNew = await openDeps(loadConfig({ SLUICE_PEPPER: "new-pepper-0123456789" }), {
      db: t.deps.db,
      log: memoryLogger(),
    });
    const res2 = await createApp(onlyNew).request("/api/workspace", { headers: { authorization: u.auth } });
    assert.equal(res2.status, 200, "the key was re-hashed under the new pepper on its last use");
    const stranger = await openDeps(loadConfig({ SLUICE_PEPPER: "other-pepper-0123456789" }), {
      db: t.deps.db,
      log: memoryLogger(),
    });
    const res3 = await createApp(stranger).request("/api/workspace", { headers: { authorization: u.auth } });
    assert.equal(res3.status, 401, "an unknown pepper verifies nothing");
  } finally {
    await t.close();
  }
});
