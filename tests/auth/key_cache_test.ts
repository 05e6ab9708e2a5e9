/**
 * The per-instance API key row cache (src/auth/key_cache.ts): one query saved per request, and never a
 * revoked, re-dated or re-hashed key honoured after the change reached the instance.
 */
import assert from "node:assert/strict";
import { ApiKeyCache } from "../../src/auth/key_cache.ts";
import { authenticateApiKey } from "../../src/auth/api_keys.ts";
import { fakeClock } from "../../src/clock.ts";
import { memoryLogger } from "../../src/log.ts";
import { revokeApiKey } from "../../src/services/api_keys.ts";
import type { Db } from "../../src/store/db.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { testApp } from "../_helpers/app.ts";
import { STORES, testPostgres } from "../_helpers/db.ts";

/** Wraps a Db to count key lookups and optionally hold them until `release()`. */
function countingDb(db: Db) {
  let lookups = 0;
  let gate: Promise<void> | null = null;
  let open = () => {};
  const wrapped: Db = {
    ...db,
    async query(text, params) {
      if (/from api_keys k join users/.test(text)) {
        lookups++;
        if (gate) await gate;
      }
      return await db.query(text, params);
    },
  };
  return {
    db: wrapped,
    get lookups() {
      return lookups;
    },
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      gate = null;
      open();
    },
  };
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 3000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

const tick = () => new Promise((r) => setTimeout(r, 20));

for (const store of STORES) {
  Deno.test(`[${store.name}] a key row is looked up once, then served from the cache until its TTL`, async () => {
    const clock = fakeClock(new Date());
    const t = await testApp({ db: await store.open(), clock });
    try {
      const u = await t.user();
      const counting = countingDb(t.deps.db);
      const cache = new ApiKeyCache(counting.db, clock, memoryLogger(), 5000);
      const deps = { ...t.deps, apiKeys: cache };
      // Nothing is cached before the subscription (started by the first lookup) is established.
      await eventually("the key to be cached", async () => {
        assert.ok(await authenticateApiKey(deps, u.key));
        return cache.size === 1;
      });
      const afterWarm = counting.lookups;
      for (let i = 0; i < 5; i++) assert.ok(await authenticateApiKey(deps, u.key));
      assert.equal(counting.lookups, afterWarm, "cached: no more lookups");
      assert.equal(
        await authenticateApiKey(deps, `${u.key.split(":")[0]}:wrong-secret`),
        null,
        "secret checked",
      );
      clock.advance(5001);
      assert.ok(await authenticateApiKey(deps, u.key));
      assert.equal(counting.lookups, afterWarm + 1, "looked up again after the TTL");
      await cache.close();
    } finally {
      await t.close();
    }
  });

  Deno.test(`[${store.name}] a key changed behind the instance's back (SQL, the CLI) is forgotten at commit`, async () => {
    const t = await testApp({ db: await store.open() });
    try {
      const u = await t.user();
      const keyId = u.key.split(":")[0];
      const get = () => t.request("/api/workspace", { headers: { authorization: u.auth } });
      assert.equal((await get()).status, 200);
      await eventually("the key to be cached", async () => {
        await get();
        return t.deps.apiKeys.size === 1;
      });
      // What `sluice apikey revoke` does from another process: no local invalidate, only the trigger.
      await t.deps.db.query("update api_keys set revoked_at = now() where id = $1", [keyId]);
      await eventually("the revoked key to get 401", async () => (await get()).status === 401);
      // A user's identity change forgets every key.
      const v = await t.user();
      await eventually(
        "a second key cached (next to the revoked one, whose row says it is revoked)",
        async () => {
          await t.request("/api/workspace", { headers: { authorization: v.auth } });
          return t.deps.apiKeys.size === 2;
        },
      );
      await t.deps.db.query("update users set is_admin = true where id = $1", [v.id]);
      await eventually("the cache to empty", () => Promise.resolve(t.deps.apiKeys.size === 0));
    } finally {
      await t.close();
    }
  });
}

Deno.test("[postgres] revoking on one instance cuts access on another as soon as it is notified", async () => {
  const db1 = await testPostgres();
  const a = await testApp({ db: db1 });
  const b = await testApp({ db: openPostgres(db1.url, { max: 2 }) });
  try {
    const u = await a.user();
    const keyId = u.key.split(":")[0];
    const onA = () => a.request("/api/workspace", { headers: { authorization: u.auth } });
    await eventually("instance A to cache the key", async () => {
      assert.equal((await onA()).status, 200);
      return a.deps.apiKeys.size === 1;
    });
    const bCtx = { ...b.deps, principal: u.ctx.principal, requestId: "b" };
    await revokeApiKey(bCtx, keyId);
    const revokedAt = Date.now();
    await eventually("instance A to refuse the key", async () => (await onA()).status === 401, 2000);
    assert.ok(Date.now() - revokedAt < 2000);
  } finally {
    await b.close();
    await a.close();
  }
});

Deno.test("a lookup in flight while the key is revoked is not cached", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const counting = countingDb(t.deps.db);
    const cache = new ApiKeyCache(counting.db, t.deps.clock, memoryLogger(), 60_000);
    const deps = { ...t.deps, apiKeys: cache };
    await eventually("the subscription to be live", async () => {
      assert.ok(await authenticateApiKey(deps, u.key));
      return cache.size === 1;
    });
    cache.clear();
    counting.hold();
    const inFlight = authenticateApiKey(deps, u.key); // reads the row before the revocation commits
    await tick();
    cache.invalidate(u.key.split(":")[0]); // the revocation's invalidation arrives meanwhile
    counting.release();
    assert.ok(await inFlight, "the request that raced the revocation still used the row it read");
    assert.equal(cache.size, 0, "but that row was not kept");
    await cache.close();
  } finally {
    await t.close();
  }
});

Deno.test("API_KEY_CACHE_SECONDS=0 looks the key up on every request", async () => {
  const t = await testApp({ env: { API_KEY_CACHE_SECONDS: "0" } });
  try {
    const u = await t.user();
    for (let i = 0; i < 3; i++) {
      assert.equal((await t.request("/api/workspace", { headers: { authorization: u.auth } })).status, 200);
      await tick();
    }
    assert.equal(t.deps.apiKeys.size, 0);
  } finally {
    await t.close();
  }
});

Deno.test("an expired cached key is refused at its expiry, without waiting for the TTL", async () => {
  const clock = fakeClock(new Date());
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    const keyId = u.key.split(":")[0];
    await t.deps.db.query("update api_keys set expires_at = $2 where id = $1", [
      keyId,
      new Date(clock.now().getTime() + 1000),
    ]);
    const get = () => t.request("/api/workspace", { headers: { authorization: u.auth } });
    await eventually("the key to be cached", async () => {
      assert.equal((await get()).status, 200);
      return t.deps.apiKeys.size === 1;
    });
    clock.advance(1001);
    assert.equal((await get()).status, 401);
  } finally {
    await t.close();
  }
});
