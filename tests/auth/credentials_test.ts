/** auth/credentials.ts: the one check of a stored `id:secret` and the once-a-minute last-used rule. */
import assert from "node:assert/strict";
import {
  hashSecret,
  newSecretHash,
  rehashIfStale,
  type SecretHasher,
  type StoredSecret,
  touchDue,
  verifySecret,
} from "../../src/auth/credentials.ts";
import type { Secrets } from "../../src/auth/secrets.ts";
import { fakeClock } from "../../src/clock.ts";

function secretsWith(peppers: Record<string, string>, currentPepperId: string): Secrets {
  return { currentPepperId, pepper: (id) => peppers[id], encryptionKey: new Uint8Array(32) };
}

const SECRETS = secretsWith({ p1: "pepper-one-0123456789", p2: "pepper-two-0123456789" }, "p2");

/** hashSecret, counting its calls. */
function countingHasher(): SecretHasher & { calls: number } {
  const hasher = Object.assign(async function hash(...args: Parameters<SecretHasher>) {
    hasher.calls++;
    return await hashSecret(...args);
  }, { calls: 0 });
  return hasher;
}

async function stored(secret: string, secrets = SECRETS): Promise<StoredSecret> {
  const h = await newSecretHash(secrets, secret);
  return { salt: h.salt, hash: h.hash, pepper_id: h.pepperId };
}

Deno.test("verifySecret() accepts the right secret with one hash", async () => {
  const hasher = countingHasher();
  assert.equal(
    await verifySecret(SECRETS, { stored: await stored("s3cret"), secret: "s3cret", hasher }),
    true,
  );
  assert.equal(hasher.calls, 1);
});

Deno.test("verifySecret() refuses a wrong secret, one of another length and an empty one", async () => {
  const row = await stored("s3cret");
  for (const secret of ["s3creT", "s3cret-longer", ""]) {
    assert.equal(await verifySecret(SECRETS, { stored: row, secret }), false, secret);
  }
});

Deno.test("verifySecret() still hashes once for an unknown id or a pepper this server does not know", async () => {
  const unknownId = countingHasher();
  assert.equal(await verifySecret(SECRETS, { stored: null, secret: "anything", hasher: unknownId }), false);
  assert.equal(unknownId.calls, 1, "an unknown id costs what a real check costs");

  const elsewhere = secretsWith({ p9: "pepper-nine-0123456789" }, "p9");
  const unknownPepper = countingHasher();
  const row = await stored("s3cret", elsewhere);
  assert.equal(await verifySecret(SECRETS, { stored: row, secret: "s3cret", hasher: unknownPepper }), false);
  assert.equal(unknownPepper.calls, 1);
});

Deno.test("verifySecret() verifies a row hashed under an older pepper that is still configured", async () => {
  const old = await stored("s3cret", secretsWith({ p1: "pepper-one-0123456789" }, "p1"));
  assert.equal(old.pepper_id, "p1");
  assert.equal(await verifySecret(SECRETS, { stored: old, secret: "s3cret" }), true);
  const moved = await rehashIfStale(SECRETS, old, "s3cret");
  assert.equal(moved?.pepperId, "p2", "a stale pepper gets a new hash under the current one");
  const fresh = { salt: moved!.salt, hash: moved!.hash, pepper_id: moved!.pepperId };
  assert.equal(await verifySecret(SECRETS, { stored: fresh, secret: "s3cret" }), true);
  assert.equal(
    await rehashIfStale(SECRETS, fresh, "s3cret"),
    undefined,
    "nothing to do under the current pepper",
  );
});

Deno.test("touchDue() records a credential's use at most once a minute", () => {
  const clock = fakeClock();
  let lastUsedAt: Date | null = null;
  const touches: number[] = [];
  // A request every 10 s for three minutes, each recording its use when due (as the callers do).
  for (let s = 0; s <= 180; s += 10) {
    const now = clock.now();
    if (touchDue(lastUsedAt, now)) {
      lastUsedAt = now;
      touches.push(s);
    }
    clock.advance(10_000);
  }
  assert.deepEqual(touches, [0, 70, 140], "first use, then only when the last one is over a minute old");
  assert.equal(touchDue(new Date(0), new Date(60_000)), false, "exactly a minute is not over it");
  assert.equal(touchDue(new Date(0), new Date(60_001)), true);
});
