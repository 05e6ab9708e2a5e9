import assert from "node:assert/strict";
import { TtlCache } from "../../src/cache.ts";
import { findWriteKey, resolveWriteKey } from "../../src/ingest/write_key.ts";
import { testApp } from "../_helpers/app.ts";

const value = { workspaceId: "w", streamId: "s", keyId: "k", kind: "server" as const };

Deno.test("the write-key cache evicts the least recently used key, so a flood of new keys cannot push out a busy one", () => {
  const cache = new TtlCache<typeof value | null>(3);
  cache.set("busy", value, 1000);
  for (let i = 0; i < 100; i++) {
    assert.ok(cache.get("busy", 10), `busy key still cached after ${i} random keys`);
    cache.set(`random-${i}`, null, 1000);
    assert.ok(cache.size <= 3);
  }
  assert.equal(cache.get("random-0", 10), undefined, "an old random key was evicted");
  assert.ok(cache.get("random-99", 10), "the newest random key is cached");
});

Deno.test("the write-key cache forgets an entry once it is stale", () => {
  const cache = new TtlCache<typeof value | null>(3);
  cache.set("k", value, 1000);
  assert.ok(cache.get("k", 999));
  assert.equal(cache.get("k", 1000), undefined);
  assert.equal(cache.size, 0, "a stale entry is dropped, not kept");
});

Deno.test("an over-long write key is refused without being cached (a batch body can carry megabytes)", async () => {
  const t = await testApp();
  try {
    assert.equal(await resolveWriteKey(t.deps, `id:${"x".repeat(1_000_000)}`), null);
    assert.equal(t.deps.writeKeys.size, 0, "nothing kept");
    assert.equal(await resolveWriteKey(t.deps, "id:short-but-wrong"), null);
    assert.equal(t.deps.writeKeys.size, 1, "an ordinary refused key is cached");
  } finally {
    await t.close();
  }
});

Deno.test("a Basic-auth write key is decoded as UTF-8, ASCII or not", () => {
  const basic = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    const h = new Headers({ authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` });
    return findWriteKey(h, new URLSearchParams())?.key;
  };
  assert.equal(basic("abc123:s3cr3t-_x:"), "abc123:s3cr3t-_x");
  assert.equal(basic("ключ:секрет:"), "ключ:секрет");
  assert.equal(basic("id:é"), "id:é");
});
