/** June and Statsig through the pipeline and directly, against _standins/june.ts and _standins/statsig.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { JUNE_KEY, juneStandIn } from "./_standins/june.ts";
import { STATSIG_KEY, statsigStandIn } from "./_standins/statsig.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

Deno.test("[june] page, track and identify are sent as June's track (Page View), track and identify", async () => {
  const s = juneStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("june", { baseUrl: s.url, allowPrivateNetwork: true });
    const { entries } = await deliver(t, u, {
      destination: { destinationType: "june", apiKey: JUNE_KEY },
      driver,
      events: pageTrackIdentify("jn"),
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    const byType = s.calls.map((c) => [c.type, c.body.event ?? null]).sort();
    assert.deepEqual(byType, [["identify", null], ["track", "Order Completed"], ["track", "Page View"]]);
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[june] a wrong key fails with June's error; a 503 is retried; test() says what it cannot check", async () => {
  const s = juneStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("june", { baseUrl: s.url, allowPrivateNetwork: true, sleep: rec.sleep });
    const [bad] = await writeEvents(driver, { apiKey: "nope" }, tracks(1));
    assert.equal(bad.error, "June answered 401: Invalid write key");
    s.forced.push({ status: 503, text: "unavailable", headers: { "retry-after": "7" } });
    const [ok] = await writeEvents(driver, { apiKey: JUNE_KEY }, tracks(1));
    assert.equal(ok.status, "SUCCESS");
    assert.deepEqual(rec.waits, [7000]);
    const r = await driver.test!({ apiKey: JUNE_KEY }, {
      signal: AbortSignal.timeout(5000),
    }) as ApiTestAnswer;
    assert.match(r.message!, /Not checked: whether June accepts it/);
  } finally {
    await s.close();
  }
});

Deno.test("[statsig] page, track and identify are logged in one log_event request with the user", async () => {
  const s = statsigStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("statsig", { baseUrl: s.url, allowPrivateNetwork: true });
    const { entries } = await deliver(t, u, {
      destination: {
        destinationType: "statsig",
        apiKey: STATSIG_KEY,
        sendPageEvents: true,
        environment: "staging",
      },
      driver,
      events: pageTrackIdentify("st"),
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    assert.deepEqual(s.events.map((e) => e.eventName), ["page_view", "Order Completed", "identify"]);
    const user = s.events[1].user as Record<string, unknown>;
    assert.equal(user.userID, "user-42");
    assert.deepEqual(user.customIDs, { jitsuAnonymousId: "anon-777-xyz" });
    assert.deepEqual(user.statsigEnvironment, { tier: "staging" });
    assert.deepEqual(s.events[1].metadata, { order_id: "o-1", total: "12.5", currency: "EUR" });
    assert.equal(s.seen.filter((r) => r.path === "/v1/log_event").length, 1);
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[statsig] a wrong key fails with Statsig's message, a 429 waits, test() refuses the key", async () => {
  const s = statsigStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("statsig", { baseUrl: s.url, allowPrivateNetwork: true, sleep: rec.sleep });
    const [bad] = await writeEvents(driver, { apiKey: "nope" }, tracks(1));
    assert.equal(bad.error, "Statsig answered 401: Invalid or missing server secret key");
    assert.equal(bad.retryable, false);
    s.forced.push({ status: 429, json: { message: "slow down" }, headers: { "retry-after": "1" } });
    const ok = await writeEvents(driver, { apiKey: STATSIG_KEY }, tracks(3));
    assert.ok(ok.every((r) => r.status === "SUCCESS"));
    assert.deepEqual(rec.waits, [1000]);
    const signal = AbortSignal.timeout(5000);
    const tested = await driver.test!({ apiKey: STATSIG_KEY }, { signal }) as ApiTestAnswer;
    assert.equal(tested.ok, true);
    assert.match(tested.message!, /Not checked: that Statsig records events/);
    const refused = await driver.test!({ apiKey: "nope" }, { signal });
    assert.equal(refused.ok, false);
    assert.equal(refused.error, "Statsig answered 401: Invalid or missing server secret key");
  } finally {
    await s.close();
  }
});
