import assert from "node:assert/strict";
import { hmacSha256Hex } from "../../src/auth/crypto.ts";

Deno.test("hmacSha256Hex() gives the RFC 4231 values, so hashes stored before the node:crypto switch verify", async () => {
  // RFC 4231 §4.3 (test case 2) and a UTF-8 key and message, checked against WebCrypto.
  assert.equal(
    await hmacSha256Hex("Jefe", "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode("pépper✓"),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode("salt:sécret")));
  assert.equal(
    await hmacSha256Hex("pépper✓", "salt:sécret"),
    Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(""),
  );
});
