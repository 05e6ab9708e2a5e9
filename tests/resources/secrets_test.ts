import assert from "node:assert/strict";
import { decryptJson, decryptText, encryptJson, encryptText } from "../../src/auth/encryption.ts";
import { MASKED } from "../../src/resources/base.ts";
import { deepMerge } from "../../src/resources/merge.ts";
import {
  joinSecrets,
  restoreMasked,
  retargetedSecretIssues,
  splitSecrets,
} from "../../src/resources/secrets.ts";

const KEY = crypto.getRandomValues(new Uint8Array(32));

Deno.test("encryptText() round-trips, uses a fresh IV, and fails on a wrong key, context or tampering", async () => {
  const a = await encryptText(KEY, "hunter2", "obj1");
  const b = await encryptText(KEY, "hunter2", "obj1");
  assert.notEqual(a, b);
  assert.ok(!a.includes("hunter2"));
  assert.equal(await decryptText(KEY, a, "obj1"), "hunter2");
  await assert.rejects(() => decryptText(KEY, a, "obj2"), /Cannot decrypt/);
  await assert.rejects(
    () => decryptText(crypto.getRandomValues(new Uint8Array(32)), a, "obj1"),
    /Cannot decrypt/,
  );
  const flipped = a.slice(0, -2) + (a.endsWith("A") ? "BB" : "AA");
  await assert.rejects(() => decryptText(KEY, flipped, "obj1"), /Cannot decrypt/);
  await assert.rejects(() => decryptText(KEY, "v9.xxxx"), /unknown ciphertext format/);
  assert.deepEqual(await decryptJson(KEY, await encryptJson(KEY, { a: [1, "x"] })), { a: [1, "x"] });
  await assert.rejects(() => encryptText(new Uint8Array(16), "x"), /32 bytes/);
});

const RULES = [{ path: "password" }, { path: "headers.*", header: true }, { path: "env.*" }, {
  path: "creds.**",
}];

Deno.test("splitSecrets() masks every rule's values and joinSecrets() puts them back", () => {
  const obj = {
    name: "n",
    password: "pw",
    headers: ["Authorization: Bearer t", "X-A: b"],
    env: { A: "1", B: "" },
    creds: { deep: { token: "t" }, list: ["a"] },
    other: "o",
  };
  const { masked, secrets } = splitSecrets(obj, RULES);
  assert.deepEqual(masked, {
    name: "n",
    password: MASKED,
    headers: [`Authorization: ${MASKED}`, `X-A: ${MASKED}`],
    env: { A: MASKED, B: "" },
    creds: { deep: { token: MASKED }, list: [MASKED] },
    other: "o",
  });
  assert.equal(secrets.length, 6);
  assert.deepEqual(joinSecrets(masked, secrets), obj);
});

Deno.test("restoreMasked() keeps stored values for sentinels, matches headers by name, flags orphans", () => {
  const stored = { password: "pw", headers: ["Authorization: Bearer t", "X-A: b"], env: { A: "1" } };
  const patch = {
    password: MASKED,
    headers: [`x-a: ${MASKED}`, "X-New: n", `Authorization: ${MASKED}`],
    env: { A: MASKED, B: "2" },
  };
  const { value, issues } = restoreMasked(patch, stored, RULES);
  assert.deepEqual(issues, []);
  assert.deepEqual(value, {
    password: "pw",
    headers: ["X-A: b", "X-New: n", "Authorization: Bearer t"],
    env: { A: "1", B: "2" },
  });
  const orphan = restoreMasked(
    { env: { Z: MASKED }, headers: [`Cookie: ${MASKED}`], name: MASKED },
    stored,
    RULES,
  );
  assert.deepEqual(orphan.issues.map((i) => i.path), ["env.Z", "headers.0"]);
  assert.equal(orphan.value.name, MASKED, "a sentinel outside the secret paths is just a string");
});

Deno.test("retargetedSecretIssues() refuses a kept secret when host, port, url or type changes", () => {
  const stored = { destinationType: "postgres", host: "db", port: 5432, password: "pw", database: "a" };
  const { value, kept } = restoreMasked({ password: MASKED }, stored, RULES);
  assert.deepEqual(kept, ["password"]);
  assert.deepEqual(
    retargetedSecretIssues(kept, { ...stored, ...value, database: "b", port: "5432" }, stored),
    [],
  );
  assert.deepEqual(retargetedSecretIssues(kept, { ...stored, ...value, host: "evil", port: 1 }, stored), [{
    path: "password",
    message: "masked, but host, port changed: re-enter the secret to send it to the new target",
  }]);
  assert.deepEqual(
    retargetedSecretIssues([], { ...stored, host: "evil" }, stored),
    [],
    "a re-entered secret may go anywhere",
  );
});

Deno.test("deepMerge() merges objects, replaces arrays and values, and null removes (RFC 7396)", () => {
  assert.deepEqual(
    deepMerge({ a: { x: 1, y: 2 }, list: [1, 2], keep: true, gone: 1 }, {
      a: { y: 3 },
      list: [3],
      gone: null,
    }),
    { a: { x: 1, y: 3 }, list: [3], keep: true },
  );
});
