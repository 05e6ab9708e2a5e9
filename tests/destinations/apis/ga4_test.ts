/** GA4 Measurement Protocol through the pipeline and directly, against the stand-in in _standins/ga4.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { GA4 } from "../../../src/destinations/apis/ga4.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { GA4_CREDS, ga4StandIn } from "./_standins/ga4.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

const DEST = { destinationType: "ga4", ...GA4_CREDS, events: "*" };

Deno.test("[ga4] page, track and identify are collected as page_view, purchase and the identify event", async () => {
  const s = ga4StandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("ga4", { baseUrl: s.url, allowPrivateNetwork: true });
    const { entries } = await deliver(t, u, { destination: DEST, driver, events: pageTrackIdentify("ga") });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    assert.equal(s.hits.length, 3, "every hit was valid for GA4 (it drops invalid ones silently)");
    const [page, purchase, identify] = s.hits as {
      client_id: string;
      user_id: string;
      events: { name: string; params: Record<string, unknown> }[];
    }[];
    assert.equal(page.client_id, "anon-777-xyz");
    assert.equal(page.user_id, "user-42");
    assert.deepEqual(page.events[0], {
      name: "page_view",
      params: {
        page_location: "https://shop.example/cart?gclid=abc",
        page_referrer: "https://search.example/",
        page_title: "Cart",
        engagement_time_msec: 1,
      },
    });
    assert.equal(purchase.events[0].name, "purchase");
    assert.equal(purchase.events[0].params.transaction_id, "o-1");
    assert.equal(purchase.events[0].params.value, 12.5);
    assert.equal(identify.events[0].name, "identify");
    for (const e of entries) {
      assert.equal(e.target, `${s.url}/mp/collect`, "the api_secret in the query never shows in Live Events");
      assert.ok(!JSON.stringify(e).includes(GA4_CREDS.apiSecret));
    }
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[ga4] the events filter: empty sends track only; a 500 is retried, a 429 after Retry-After", async () => {
  const trackOnly = GA4.credentials({ ...DEST, events: "" });
  const plan = await GA4.plan([{ type: "page", anonymousId: "a1" }, {
    type: "track",
    event: "X",
    anonymousId: "a1",
  }], trackOnly);
  assert.deepEqual([...plan.skipped.keys()], [0]);
  assert.equal(plan.requests.length, 1);
  const s = ga4StandIn();
  const rec = recordedSleep();
  try {
    s.forced.push({ status: 500, text: "Internal error" }, {
      status: 429,
      text: "Too Many Requests",
      headers: { "retry-after": "4" },
    });
    const driver = apiDriverOf("ga4", {
      baseUrl: s.url,
      allowPrivateNetwork: true,
      sleep: rec.sleep,
      concurrency: 1,
    });
    const results = await writeEvents(driver, DEST, tracks(2));
    assert.deepEqual(results.map((r) => r.status), ["SUCCESS", "SUCCESS"]);
    assert.deepEqual(rec.waits, [1000, 4000]);
    assert.equal(s.hits.length, 2);
    s.forced.push({ status: 400, json: { error: { code: 400, message: "Invalid measurement_id" } } });
    const [bad] = await writeEvents(driver, DEST, tracks(1));
    assert.equal(bad.status, "FAILED");
    assert.equal(bad.retryable, false);
    assert.equal(bad.error, "Google Analytics 4 answered 400: Invalid measurement_id");
  } finally {
    await s.close();
  }
});

Deno.test("[ga4] test() validates with the debug endpoint and says the secret cannot be checked", async () => {
  const s = ga4StandIn();
  try {
    const driver = apiDriverOf("ga4", { baseUrl: s.url, allowPrivateNetwork: true });
    const r = await driver.test!(DEST, { signal: AbortSignal.timeout(5000) }) as ApiTestAnswer;
    assert.equal(r.ok, true);
    assert.match(r.message!, /Not checked: the API secret/);
    assert.equal(s.seen[0].path, "/debug/mp/collect");
    assert.equal(s.hits.length, 0, "the validation server records nothing");
    const url = await driver.test!({ ...DEST, url: "https://evil.example/mp/collect" }, {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(url.ok, false);
    assert.match(url.error!, /field "url" must be one of/);
  } finally {
    await s.close();
  }
});
