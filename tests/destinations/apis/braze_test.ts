/** Braze through the pipeline with its endpoint setting, against the stand-in in _standins/braze.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { BRAZE_KEY, brazeStandIn } from "./_standins/braze.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

Deno.test("[braze] page, track, purchase and identify reach /users/track and /users/identify", async () => {
  const s = brazeStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const [page, , identify] = pageTrackIdentify("bz");
    const order = {
      type: "track",
      body: {
        messageId: "bz-order",
        userId: "user-42",
        event: "Order Completed",
        properties: { order_id: "o-9", products: [{ product_id: "p1", price: 5, quantity: 2 }] },
      },
    };
    const click = { type: "track", body: { messageId: "bz-click", userId: "user-42", event: "Clicked" } };
    const { entries } = await deliver(t, u, {
      destination: {
        destinationType: "braze",
        apiKey: BRAZE_KEY,
        endpoint: s.url,
        sendPageEvents: true,
        useJitsuAnonymousIdAlias: true,
      },
      events: [page, click, order, identify],
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    assert.deepEqual(s.events.map((e) => e.name), ["page", "Clicked"]);
    assert.equal(s.events[0].external_id, "user-42");
    assert.deepEqual(s.purchases.map((p) => [p.product_id, p.currency, p.price, p.quantity]), [[
      "p1",
      "USD",
      5,
      2,
    ]]);
    assert.equal(s.attributes[0].email, "ada@example.com");
    assert.deepEqual(s.identified, [{
      external_id: "user-42",
      user_alias: { alias_name: "anon-777-xyz", alias_label: "anonymous_id" },
    }]);
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[braze] items Braze refuses in errors fail alone; a wrong key and a 429 with Retry-After", async () => {
  const s = brazeStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("braze", { allowPrivateNetwork: true, sleep: rec.sleep });
    const creds = { apiKey: BRAZE_KEY, endpoint: s.url };
    s.forced.push({ status: 429, json: { message: "Rate limit" }, headers: { "retry-after": "5" } });
    s.forced.push({
      status: 201,
      json: { message: "success", errors: [{ type: "'time' is required", input_array: "events", index: 1 }] },
    });
    const results = await writeEvents(driver, creds, tracks(3));
    assert.deepEqual(results.map((r) => r.status), ["SUCCESS", "FAILED", "SUCCESS"]);
    assert.equal(results[1].error, "Braze refused the event: 'time' is required");
    assert.deepEqual(rec.waits, [5000]);
    const [bad] = await writeEvents(driver, { ...creds, apiKey: "nope" }, tracks(1));
    assert.equal(bad.error, "Braze answered 401: Invalid API key: the API key is not valid");
    assert.equal(bad.retryable, false);
    const many = await writeEvents(driver, creds, tracks(160, "m"));
    assert.ok(many.every((r) => r.status === "SUCCESS"));
    const sizes = s.seen.filter((r) => r.json?.events?.length > 3).map((r) => r.json.events.length);
    assert.deepEqual(
      sizes.sort((a, b) => b - a),
      [75, 75, 10],
      "160 events: 75, 75 and 10, within Braze's limit",
    );
  } finally {
    await s.close();
  }
});

Deno.test("[braze] test() checks the key with an empty request; a cluster label maps to its endpoint", async () => {
  const s = brazeStandIn();
  try {
    const driver = apiDriverOf("braze", { allowPrivateNetwork: true });
    const signal = AbortSignal.timeout(5000);
    const ok = await driver.test!({ apiKey: BRAZE_KEY, endpoint: s.url }, { signal }) as ApiTestAnswer;
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const bad = await driver.test!({ apiKey: "x", endpoint: s.url }, { signal }) as ApiTestAnswer;
    assert.equal(bad.step, "authenticate");
    assert.equal(s.events.length + s.attributes.length, 0);
    const viaBase = apiDriverOf("braze", { baseUrl: s.url, allowPrivateNetwork: true });
    const labelled = await writeEvents(viaBase, {
      apiKey: BRAZE_KEY,
      endpoint: "EU-01 : dashboard-01.braze.eu",
    }, tracks(1));
    assert.equal(labelled[0].status, "SUCCESS");
  } finally {
    await s.close();
  }
});
