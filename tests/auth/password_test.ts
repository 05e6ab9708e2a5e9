import assert from "node:assert/strict";
import { hashPassword, PBKDF2_ITERATIONS, verifyPassword } from "../../src/auth/password.ts";

Deno.test("hashPassword() uses salted PBKDF2-SHA256 with at least 600,000 iterations", async () => {
  const a = await hashPassword("correct horse");
  const b = await hashPassword("correct horse");
  assert.notEqual(a, b, "salted: the same password hashes differently");
  assert.match(a, /^pbkdf2-sha256\$600000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.ok(PBKDF2_ITERATIONS >= 600_000);
  assert.ok(!a.includes("correct horse"));
  assert.equal(await verifyPassword("correct horse", a), true);
  assert.equal(await verifyPassword("correct horsE", a), false);
  assert.equal(await verifyPassword("correct horse", null), false);
  assert.equal(await verifyPassword("correct horse", "md5$abc"), false);
});
