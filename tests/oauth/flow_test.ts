import assert from "node:assert/strict";
import { STORES } from "../_helpers/db.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { connect, tokenRequest } from "./_helpers.ts";

for (const store of STORES) {
  Deno.test(`[${store.name}] authorization code + PKCE -> tokens -> bearer -> refresh rotation (RFC 6749 §4.1, §6)`, async () => {
    const t = await testApp({ db: await store.open() });
    try {
      const u = await t.user();
      await t.user(); // another user's workspace must stay invisible
      const { client, tokens } = await connect(t, u, { access: "write" });
      assert.match(tokens.access_token, /^oat_[a-z0-9]{24}:[A-Za-z0-9_-]{43}$/);
      assert.match(tokens.refresh_token, /^ort_[a-z0-9]{24}:[A-Za-z0-9_-]{43}$/);
      assert.equal(tokens.token_type, "Bearer");
      assert.equal(tokens.expires_in, 3600);
      assert.equal(tokens.scope, "mcp:read mcp:write");

      const list = await expectJson(
        await t.request("/api/workspace", { headers: { authorization: `Bearer ${tokens.access_token}` } }),
        200,
      );
      assert.deepEqual(list.map((w: { id: string }) => w.id), [u.workspace.id]);

      const refreshed = await expectJson(
        await tokenRequest(t, {
          grant_type: "refresh_token",
          refresh_token: tokens.refresh_token,
          client_id: client.client_id,
        }),
        200,
      );
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.notEqual(refreshed.access_token, tokens.access_token);
      assert.equal(
        (await t.request("/api/workspace", {
          headers: { authorization: `Bearer ${refreshed.access_token}` },
        }))
          .status,
        200,
      );
    } finally {
      await t.close();
    }
  });
}
