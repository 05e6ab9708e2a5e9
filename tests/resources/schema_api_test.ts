import assert from "node:assert/strict";
import { expectJson, testApp } from "../_helpers/app.ts";

Deno.test("GET /api/schema/{type}[/{subtype}] serves JSON Schemas without auth", async () => {
  const t = await testApp();
  try {
    const pg = await expectJson(await t.request("/api/schema/destination/postgres"), 200);
    assert.equal(pg.title, "Destination: postgres");
    assert.ok(pg.properties.host && pg.properties.password);
    const conn = await expectJson(await t.request("/api/schema/connection/postgres"), 200);
    assert.equal(conn.properties.data.properties.mode.default, "batch");
    const fn = await expectJson(await t.request("/api/schema/function"), 200);
    assert.deepEqual(fn.required, ["name", "code"]);
    const unknown = await expectJson(await t.request("/api/schema/widget"), 400);
    assert.match(unknown.error.message, /known types: destination, stream, service, function, connection/);
    const sub = await expectJson(await t.request("/api/schema/destination/kafka"), 404);
    assert.match(sub.error.message, /known: webhook, /);
    const catalog = await expectJson(await t.request("/api/schema"), 200);
    assert.deepEqual(catalog.types.map((x: { type: string }) => x.type), [
      "destination",
      "stream",
      "service",
      "function",
      "connection",
    ]);
    const webhook = catalog.destinationTypes.find((d: { id: string }) => d.id === "webhook");
    assert.deepEqual(webhook.secretFields, ["headers", "signingSecret"]);
    assert.equal(typeof webhook.deliverable, "boolean");
    assert.equal((await t.request("/api/schema/function", { method: "POST" })).status, 405);
  } finally {
    await t.close();
  }
});
