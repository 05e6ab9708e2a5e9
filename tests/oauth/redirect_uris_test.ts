import assert from "node:assert/strict";
import { matchRedirectUri, redirectUriProblem } from "../../src/oauth/redirect_uris.ts";

Deno.test("matchRedirectUri: loopback http matches on any port, localhost/127.0.0.1/[::1] alike, path exact (RFC 8252 §7.3)", () => {
  const reg = ["http://localhost/callback"];
  assert.equal(matchRedirectUri(reg, "http://127.0.0.1:53123/callback"), "http://127.0.0.1:53123/callback");
  assert.equal(matchRedirectUri(reg, "http://[::1]:80/callback"), "http://[::1]:80/callback");
  assert.equal(matchRedirectUri(reg, "http://localhost:9/callback"), "http://localhost:9/callback");
  assert.equal(matchRedirectUri(reg, "http://localhost:9/callback/"), null);
  assert.equal(matchRedirectUri(reg, "http://localhost:9/Callback"), null);
  assert.equal(matchRedirectUri(reg, "http://localhost:9/callback?x=1"), null);
  assert.equal(matchRedirectUri(reg, "https://localhost:9/callback"), null);
  assert.equal(matchRedirectUri(reg, "http://localhost.evil.example/callback"), null);
  assert.equal(matchRedirectUri(reg, "http://user@localhost:9/callback"), null);
});

Deno.test("matchRedirectUri: https and private-use URIs match exactly (RFC 6749 §3.1.2.3, RFC 8252 §7.1)", () => {
  const reg = ["https://app.example/cb", "cursor://anysphere.cursor-mcp/oauth/callback"];
  assert.equal(matchRedirectUri(reg, "https://app.example/cb"), "https://app.example/cb");
  assert.equal(matchRedirectUri(reg, "https://app.example:8443/cb"), null);
  assert.equal(matchRedirectUri(reg, "https://app.example/cb2"), null);
  assert.equal(matchRedirectUri(reg, "cursor://anysphere.cursor-mcp/oauth/callback"), reg[1]);
  assert.equal(matchRedirectUri(reg, "cursor://anysphere.cursor-mcp/oauth/callbackx"), null);
  // Omitted: only allowed when exactly one is registered (OAuth 2.1 §2.3.2).
  assert.equal(matchRedirectUri(reg, null), null);
  assert.equal(matchRedirectUri(["https://a.example/cb"], null), "https://a.example/cb");
});

Deno.test("redirectUriProblem: refuses javascript:, data:, file:, fragments and non-loopback http (RFC 8252 §8.3)", () => {
  for (
    const bad of [
      "javascript:alert(1)",
      "data:,x",
      "file:///x",
      "https://a.example/#x",
      "http://a.example/cb",
      "",
      "vbscript:x",
    ]
  ) {
    assert.ok(redirectUriProblem(bad), bad);
  }
  for (
    const ok of [
      "https://a.example/cb",
      "http://127.0.0.1/cb",
      "http://[::1]:3/",
      "vscode://vscode.github-authentication/did-authenticate",
      "com.example.app:/oauth",
    ]
  ) {
    assert.equal(redirectUriProblem(ok), null, ok);
  }
});
