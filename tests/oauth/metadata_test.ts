import assert from "node:assert/strict";
import { expectJson, testApp } from "../_helpers/app.ts";
import { ISSUER, RESOURCE } from "./_helpers.ts";

Deno.test("metadata: authorization server metadata has the exact issuer and every endpoint (RFC 8414 §2, §3.3)", async () => {
  const t = await testApp();
  try {
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
      const res = await t.request(path);
      const m = await expectJson(res, 200);
      assert.equal(m.issuer, ISSUER);
      assert.equal(m.authorization_endpoint, `${ISSUER}/oauth/authorize`);
      assert.equal(m.token_endpoint, `${ISSUER}/oauth/token`);
      assert.equal(m.registration_endpoint, `${ISSUER}/oauth/register`);
      assert.equal(m.revocation_endpoint, `${ISSUER}/oauth/revoke`);
      assert.deepEqual(m.code_challenge_methods_supported, ["S256"]);
      assert.deepEqual(m.token_endpoint_auth_methods_supported, [
        "none",
        "client_secret_post",
        "client_secret_basic",
      ]);
      assert.deepEqual(m.response_types_supported, ["code"]);
      assert.equal(m.client_id_metadata_document_supported, true);
      assert.equal(m.authorization_response_iss_parameter_supported, true);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
    }
  } finally {
    await t.close();
  }
});

Deno.test("metadata: protected-resource metadata names this authorization server and the scopes (RFC 9728 §2)", async () => {
  const t = await testApp();
  try {
    for (
      const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]
    ) {
      const m = await expectJson(await t.request(path), 200);
      assert.equal(m.resource, RESOURCE);
      assert.deepEqual(m.authorization_servers, [ISSUER]);
      assert.deepEqual(m.scopes_supported, ["mcp:read", "mcp:write"]);
      assert.deepEqual(m.bearer_methods_supported, ["header"]);
    }
  } finally {
    await t.close();
  }
});

Deno.test("CORS: token, register and revoke answer preflights from any origin", async () => {
  const t = await testApp();
  try {
    for (
      const path of [
        "/oauth/token",
        "/oauth/register",
        "/oauth/revoke",
        "/.well-known/oauth-authorization-server",
      ]
    ) {
      const res = await t.request(path, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.match(res.headers.get("access-control-allow-methods")!, /POST/);
    }
  } finally {
    await t.close();
  }
});
