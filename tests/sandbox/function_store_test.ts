import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import {
  dbFunctionStore,
  type FunctionStore,
  memoryFunctionStore,
  parseTtl,
  StoreUsageError,
} from "../../src/sandbox/function_store.ts";
import { deleteExpiredStoreEntries } from "../../src/store/function_store_repo.ts";
import { STORES } from "../_helpers/db.ts";

Deno.test('parseTtl() reads seconds, unit strings, {ttl} and "inf"; 31 days by default; rejects the rest', () => {
  assert.equal(parseTtl(undefined), 31 * 86400, "Jitsu's default: 31 days");
  assert.equal(parseTtl({}), 31 * 86400, "{} has no ttl: the default");
  assert.equal(parseTtl(-1), null);
  assert.equal(parseTtl("inf"), null);
  assert.equal(parseTtl({ ttl: "INF" }), null);
  assert.equal(parseTtl({ ttl: -1 }), null);
  assert.equal(parseTtl(1e12), 2147483647, "capped as Jitsu caps it");
  assert.equal(parseTtl(30), 30);
  assert.equal(parseTtl(1.2), 2);
  assert.equal(parseTtl("45"), 45);
  assert.equal(parseTtl("30m"), 1800);
  assert.equal(parseTtl("2h"), 7200);
  assert.equal(parseTtl("1d"), 86400);
  assert.equal(parseTtl({ ttl: "1w" }), 604800);
  for (const bad of [0, -5, "soon", "1y", true, { ttl: "later" }]) {
    assert.throws(() => parseTtl(bad), StoreUsageError, JSON.stringify(bad));
  }
});

async function storeContract(makeStore: (clock: ReturnType<typeof fakeClock>) => Promise<FunctionStore>) {
  const clock = fakeClock(new Date("2026-03-01T00:00:00Z"));
  const s = await makeStore(clock);
  assert.equal(await s.get("k"), undefined);
  assert.equal(await s.ttl("k"), -2);
  await s.set("k", { a: [1, 2] }, null);
  assert.deepEqual(await s.get("k"), { a: [1, 2] });
  assert.equal(await s.ttl("k"), -1);
  await s.set("k", "replaced", 60);
  assert.deepEqual(await s.getWithTTL("k"), { value: "replaced", ttl: 60 });
  clock.advance(30_000);
  assert.equal(await s.ttl("k"), 30);
  clock.advance(30_001);
  assert.equal(await s.get("k"), undefined, "expired entries are gone");
  assert.equal(await s.getWithTTL("k"), undefined);
  await s.set("d", 1, null);
  await s.del("d");
  assert.equal(await s.get("d"), undefined);
  await assert.rejects(s.set("", 1, null), StoreUsageError);
  await assert.rejects(s.set("big", "x".repeat(300 * 1024), null), /larger than/);
  await assert.rejects(s.set("u", undefined, null), /undefined/);
}

Deno.test("memoryFunctionStore() follows the store contract", async () => {
  await storeContract((clock) => Promise.resolve(memoryFunctionStore({}, clock)));
});

for (const store of STORES) {
  Deno.test(`[${store.name}] dbFunctionStore() follows the store contract and keeps workspaces apart`, async () => {
    const db = await store.open();
    try {
      await storeContract((clock) => Promise.resolve(dbFunctionStore(db, "ws-a", clock)));
      const clock = fakeClock(new Date("2026-03-01T00:00:00Z"));
      const a = dbFunctionStore(db, "ws-a", clock);
      const b = dbFunctionStore(db, "ws-b", clock);
      await a.set("shared-name", "a's value", null);
      assert.equal(await b.get("shared-name"), undefined, "another workspace never sees the key");
      await b.set("shared-name", "b's value", 10);
      assert.equal(await a.get("shared-name"), "a's value");
      clock.advance(61_000);
      assert.equal(
        await deleteExpiredStoreEntries(db, clock.now()),
        2,
        "b's key and the contract's expired key",
      );
      assert.equal(await a.get("shared-name"), "a's value");
    } finally {
      await db.close();
    }
  });
}
