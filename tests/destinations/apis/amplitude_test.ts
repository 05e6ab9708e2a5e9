/** Amplitude through the pipeline and directly, against the stand-in in _standins/amplitude.ts. */
import assert from "node:assert/strict";
import { AMPLITUDE } from "../../../src/destinations/apis/amplitude.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { AMPLITUDE_KEY, amplitudeStandIn } from "./_standins/amplitude.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

const DEST = { destinationType: "amplitude", key: AMPLITUDE_KEY };

Deno.test("[amplitude] page, track and identify are delivered through the pipeline as pageview, the event and $identify", async () => {
  const s = amplitudeStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("amplitude", { baseUrl: s.url, allowPrivateNetwork: true });
    const { entries } = await deliver(t, u, { destination: DEST, driver, events: pageTrackIdentify("amp") });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    assert.deepEqual(s.events.map((e) => e.event_type).sort(), ["$identify", "Order Completed", "pageview"]);
    const track = s.events.find((e) => e.event_type === "Order Completed")!;
    assert.equal(track.user_id, "user-42");
    assert.equal(track.device_id, "anon-777-xyz");
    assert.equal(track.insert_id, "amp-track", "the message id deduplicates retries");
    assert.deepEqual(track.event_properties, { order_id: "o-1", total: 12.5, currency: "EUR" });
    const identify = s.events.find((e) => e.event_type === "$identify")!;
    assert.deepEqual(identify.user_properties, { $set: { email: "ada@example.com", name: "Ada" } });
    assert.equal(s.seen[0].path, "/2/httpapi");
    assert.equal(entries[0].target, `${s.url}/2/httpapi`);
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[amplitude] a 429 and a 503 are retried after Retry-After, then delivered in one batch", async () => {
  const s = amplitudeStandIn();
  const rec = recordedSleep();
  try {
    s.forced.push(
      {
        status: 429,
        json: { code: 429, error: "Too many requests for some devices and users" },
        headers: { "retry-after": "2" },
      },
      { status: 503, text: "Service Unavailable" },
    );
    const driver = apiDriverOf("amplitude", { baseUrl: s.url, allowPrivateNetwork: true, sleep: rec.sleep });
    const results = await writeEvents(driver, DEST, tracks(5));
    assert.ok(results.every((r) => r.status === "SUCCESS"), JSON.stringify(results));
    assert.deepEqual(rec.waits, [2000, 2000], "Retry-After, then the driver's own backoff for the 503");
    assert.equal(s.events.length, 5);
    assert.equal(s.seen.length, 3);
  } finally {
    await s.close();
  }
});

Deno.test("[amplitude] an invalid key fails without retry and Live Events name Amplitude's error", async () => {
  const s = amplitudeStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("amplitude", { baseUrl: s.url, allowPrivateNetwork: true });
    const { entries } = await deliver(t, u, {
      destination: { ...DEST, key: "wrong-key" },
      driver,
      events: [pageTrackIdentify("x")[1]],
    });
    assert.equal(entries[0].status, "FAILED");
    assert.equal(entries[0].error, "Amplitude answered 400: Invalid API key: wrong-key");
    const [direct] = await writeEvents(driver, { ...DEST, key: "wrong-key" }, tracks(1));
    assert.equal(direct.retryable, false, "a 400 is not retried");
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[amplitude] EU residency, anonymous users and 2500 events in batches of at most 1000", async () => {
  const eu = AMPLITUDE.credentials({ ...DEST, dataResidency: "EU" });
  const plan = await AMPLITUDE.plan(tracks(1), eu);
  assert.equal(plan.requests[0].url, "https://api.eu.amplitude.com/2/httpapi");
  const anon = await AMPLITUDE.plan([{ type: "track", event: "X", anonymousId: "anon-12345" }], eu);
  assert.match(anon.skipped.get(0)!, /enableAnonymousUserProfiles is off/);
  const s = amplitudeStandIn();
  try {
    const driver = apiDriverOf("amplitude", { baseUrl: s.url, allowPrivateNetwork: true });
    const results = await writeEvents(driver, DEST, tracks(2500));
    assert.ok(results.every((r) => r.status === "SUCCESS"));
    assert.deepEqual(s.seen.map((r) => r.json.events.length).sort((a, b) => b - a), [1000, 1000, 500]);
  } finally {
    await s.close();
  }
});

Deno.test("[amplitude] test() checks the key with an upload of no events", async () => {
  const s = amplitudeStandIn();
  try {
    const driver = apiDriverOf("amplitude", { baseUrl: s.url, allowPrivateNetwork: true });
    const signal = AbortSignal.timeout(5000);
    const ok = await driver.test!(DEST, { signal });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const bad = await driver.test!({ ...DEST, key: "nope" }, { signal });
    assert.deepEqual(bad, {
      ok: false,
      step: "authenticate",
      error: "Amplitude answered 400: Invalid API key: nope",
    });
    assert.equal(s.events.length, 0);
    assert.deepEqual(s.seen.map((r) => r.json.events), [[], []]);
  } finally {
    await s.close();
  }
});
