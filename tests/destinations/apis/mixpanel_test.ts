/** Mixpanel through the pipeline and directly, against the stand-in in _standins/mixpanel.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { MIXPANEL } from "../../../src/destinations/apis/mixpanel.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { MIXPANEL_CREDS, mixpanelStandIn } from "./_standins/mixpanel.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

const DEST = { destinationType: "mixpanel", ...MIXPANEL_CREDS };

Deno.test("[mixpanel] page, track and identify go through functions to /import and /engage with identity merge", async () => {
  const s = mixpanelStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("mixpanel", { baseUrl: s.url, allowPrivateNetwork: true });
    const { entries } = await deliver(t, u, {
      destination: DEST,
      driver,
      events: pageTrackIdentify("mp"),
      functionCode: `export default (e) => ({ ...e, properties: { ...e.properties, via: "fn" } })`,
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    const names = s.imported.map((r) => r.event);
    assert.deepEqual(names.sort(), ["$merge", "$mp_web_page_view", "Order Completed"].sort());
    const page = s.imported.find((r) => r.event === "$mp_web_page_view")!.properties as Record<
      string,
      unknown
    >;
    assert.equal(page.distinct_id, "user-42");
    assert.equal(page.$device_id, "anon-777-xyz");
    assert.equal(page.$current_url, "https://shop.example/cart?gclid=abc");
    assert.equal(page.via, "fn", "the function's output is what was sent");
    const merge = s.imported.find((r) => r.event === "$merge")!.properties as Record<string, unknown>;
    assert.deepEqual(merge.$distinct_ids, ["user-42", "anon-777-xyz"]);
    assert.equal(s.profiles.length, 2, "a $set and, with a referrer, a $set_once");
    const set = s.profiles[0] as { $distinct_id: string; $set: Record<string, unknown> };
    assert.equal(set.$distinct_id, "user-42");
    assert.equal(set.$set.$email, "ada@example.com");
    assert.equal(set.$set.$name, "Ada");
    const imp = s.seen.find((r) => r.path === "/import")!;
    assert.equal(imp.query.get("strict"), "1");
    assert.equal(imp.query.get("project_id"), MIXPANEL_CREDS.projectId);
    assert.ok(
      entries.every((e) => !JSON.stringify(e).includes(MIXPANEL_CREDS.projectToken)),
      "no token in Live Events",
    );
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[mixpanel] a 429 is retried after the API's Retry-After, then delivered", async () => {
  const s = mixpanelStandIn();
  const rec = recordedSleep();
  try {
    s.forced.push({
      status: 429,
      json: { error: "rate limit exceeded", status: 0 },
      headers: { "retry-after": "3" },
    });
    const driver = apiDriverOf("mixpanel", { baseUrl: s.url, allowPrivateNetwork: true, sleep: rec.sleep });
    const results = await writeEvents(driver, DEST, tracks(3));
    assert.deepEqual(results.map((r) => r.status), ["SUCCESS", "SUCCESS", "SUCCESS"]);
    assert.deepEqual(rec.waits, [3000]);
    assert.equal(s.imported.length, 3);
  } finally {
    await s.close();
  }
});

Deno.test("[mixpanel] a Retry-After longer than the driver waits fails the events as retryable, naming it", async () => {
  const s = mixpanelStandIn();
  const rec = recordedSleep();
  try {
    s.forced.push({
      status: 429,
      json: { error: "rate limit exceeded", status: 0 },
      headers: { "retry-after": "120" },
    });
    const driver = apiDriverOf("mixpanel", { baseUrl: s.url, allowPrivateNetwork: true, sleep: rec.sleep });
    const [r] = await writeEvents(driver, DEST, tracks(1));
    assert.equal(r.status, "FAILED");
    assert.equal(r.retryable, true);
    assert.equal(r.error, "Mixpanel answered 429: rate limit exceeded; it asks to retry after 120");
    assert.deepEqual(rec.waits, []);
  } finally {
    await s.close();
  }
});

Deno.test("[mixpanel] a wrong service account secret dead-letters the event with Mixpanel's own words", async () => {
  const s = mixpanelStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("mixpanel", { baseUrl: s.url, allowPrivateNetwork: true });
    const { entries } = await deliver(t, u, {
      destination: { ...DEST, serviceAccountPassword: "wrong" },
      driver,
      events: [pageTrackIdentify("bad")[1]],
    });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].status, "FAILED");
    assert.equal(entries[0].error, "Mixpanel answered 401: Unauthorized, invalid username or secret");
    const dead = await t.request(`/api/${u.workspace.id}/log/dead-letter`, {
      headers: { authorization: u.auth },
    });
    assert.match(await dead.text(), /invalid username or secret/);
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[mixpanel] strict import: records Mixpanel refuses fail alone, the rest are delivered", async () => {
  const s = mixpanelStandIn();
  try {
    s.forced.push({
      status: 400,
      json: {
        code: 400,
        error: "some data points in the request failed validation",
        failed_records: [{
          index: 1,
          $insert_id: "x",
          field: "properties.time",
          message: "'properties.time' is invalid",
        }],
        num_records_imported: 2,
        status: "Bad Request",
      },
    });
    const driver = apiDriverOf("mixpanel", { baseUrl: s.url, allowPrivateNetwork: true });
    const results = await writeEvents(driver, DEST, tracks(3));
    assert.deepEqual(results.map((r) => r.status), ["SUCCESS", "FAILED", "SUCCESS"]);
    assert.equal(results[1].retryable, false);
    assert.equal(
      results[1].error,
      "Mixpanel refused the event: properties.time: 'properties.time' is invalid",
    );
  } finally {
    await s.close();
  }
});

Deno.test("[mixpanel] 2500 events go in two /import requests within the 2000-record limit", async () => {
  const s = mixpanelStandIn();
  try {
    const driver = apiDriverOf("mixpanel", { baseUrl: s.url, allowPrivateNetwork: true });
    const results = await writeEvents(driver, DEST, tracks(2500));
    assert.ok(results.every((r) => r.status === "SUCCESS"));
    const sizes = s.seen.filter((r) => r.path === "/import").map((r) => r.json.length).sort((a, b) => b - a);
    assert.deepEqual(sizes, [2000, 500]);
    assert.equal(
      new Set(s.imported.map((r) => (r.properties as Record<string, unknown>).$insert_id)).size,
      2500,
    );
  } finally {
    await s.close();
  }
});

Deno.test("[mixpanel] region picks the API host; Simplified ID Merge uses $device: ids and sends no $merge", async () => {
  for (
    const [region, host] of [["US", "api.mixpanel.com"], ["EU", "api-eu.mixpanel.com"], [
      "IN",
      "api-in.mixpanel.com",
    ]]
  ) {
    const plan = await MIXPANEL.plan(tracks(1), MIXPANEL.credentials({ ...DEST, dataResidency: region }));
    assert.equal(new URL(plan.requests[0].url).host, host);
  }
  const creds = MIXPANEL.credentials({ ...DEST, simplifiedIdMerge: true, enableAnonymousUserProfiles: true });
  const plan = await MIXPANEL.plan([
    { type: "page", messageId: "p1", anonymousId: "anon-5" },
    { type: "identify", messageId: "i1", userId: "u-5", anonymousId: "anon-5", traits: { email: "a@b.c" } },
  ], creds);
  const imported = plan.requests.filter((r) => r.url.includes("/import")).flatMap((r) => JSON.parse(r.body!));
  assert.deepEqual(imported.map((r: { event: string }) => r.event), ["$mp_web_page_view"]);
  assert.equal(imported[0].properties.distinct_id, "$device:anon-5");
  const off = await MIXPANEL.plan(
    [{ type: "page", messageId: "p2", anonymousId: "anon-6" }],
    MIXPANEL.credentials(DEST),
  );
  assert.match(off.skipped.get(0)!, /enableAnonymousUserProfiles is off/);
});

Deno.test("[mixpanel] test() signs in without sending an event and names what it cannot check", async () => {
  const s = mixpanelStandIn();
  try {
    const driver = apiDriverOf("mixpanel", { baseUrl: s.url, allowPrivateNetwork: true });
    const signal = AbortSignal.timeout(5000);
    const ok = await driver.test!(DEST, { signal });
    assert.equal(ok.ok, true);
    assert.match((ok as ApiTestAnswer).message ?? "", /Not checked: the project token/);
    const bad = await driver.test!({ ...DEST, serviceAccountPassword: "nope" }, { signal });
    assert.deepEqual(bad, {
      ok: false,
      step: "authenticate",
      error: "Mixpanel answered 401: Unauthorized, invalid username or secret",
    });
    const other = await driver.test!({ ...DEST, projectId: "999" }, { signal });
    assert.equal(other.ok, false);
    assert.match(other.error!, /no access to project 999/);
    assert.equal(s.imported.length + s.profiles.length, 0, "nothing was sent");
  } finally {
    await s.close();
  }
});
