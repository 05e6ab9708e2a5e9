import assert from "node:assert/strict";
import { safeNext } from "../../src/ui/login.tsx";

Deno.test("safeNext() keeps same-site paths and refuses every open-redirect shape (RFC 6749 §10.15)", () => {
  assert.equal(safeNext("/oauth/authorize?client_id=a&state=b"), "/oauth/authorize?client_id=a&state=b");
  assert.equal(safeNext("/user"), "/user");
  for (
    const bad of [
      "//evil.example/x",
      "/\t/evil.example/x", // browsers drop the tab: "//evil.example/x"
      "/\n/evil.example",
      "/\r\nSet-Cookie: a=b",
      "/\\evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "evil.example",
      "/x\u0000y",
      "",
      undefined,
      42,
      `/${"a".repeat(5000)}`,
    ]
  ) {
    assert.equal(safeNext(bad), "/user", JSON.stringify(bad));
  }
});
