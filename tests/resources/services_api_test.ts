import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";
import { client, expectStatus } from "./_client.ts";

Deno.test("services are stored with every credential masked and kept on update", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const s = expectStatus(
      await c.cfg("POST", "service", {
        name: "GitHub",
        package: "airbyte/source-github",
        version: "1.5.0",
        credentials: { repository: "org/repo", auth: { token: "ghp_secret_123" }, pages: 5 },
      }),
      201,
    );
    assert.equal(s.protocol, "airbyte");
    assert.deepEqual(s.credentials, {
      repository: "__MASKED_BY_JITSU__",
      auth: { token: "__MASKED_BY_JITSU__" },
      pages: "__MASKED_BY_JITSU__",
    });
    const upd = expectStatus(
      await c.cfg("PUT", `service/${s.id}`, { credentials: { ...s.credentials, repository: "org/other" } }),
      200,
    );
    assert.equal(upd.credentials.repository, "__MASKED_BY_JITSU__");
    const row = await t.deps.db.query<{ secrets: string }>(
      "select secrets from config_objects where id = $1",
      [s.id],
    );
    const { plainConfig } = await import("../../src/services/resource_objects.ts");
    const full = await plainConfig(
      t.deps,
      (await t.deps.db.query("select * from config_objects where id = $1", [s.id]))[0] as never,
    );
    assert.deepEqual(full.credentials, {
      repository: "org/other",
      auth: { token: "ghp_secret_123" },
      pages: 5,
    });
    assert.ok(!row[0].secrets.includes("ghp_"));
    const missing = expectStatus(await c.cfg("POST", "service", { name: "x" }), 400);
    assert.equal(missing.error.message, "Cannot create service: package: required");
  } finally {
    await t.close();
  }
});
