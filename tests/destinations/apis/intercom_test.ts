/** Intercom through the pipeline and directly, against the stand-in in _standins/intercom.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { INTERCOM_TOKEN, intercomStandIn } from "./_standins/intercom.ts";
import { recordedSleep, writeEvents } from "./_write.ts";

const DEST = { destinationType: "intercom", accessToken: INTERCOM_TOKEN };

Deno.test("[intercom] identify creates the contact, group the company and links them; page and track become events", async () => {
  const s = intercomStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("intercom", { baseUrl: s.url, allowPrivateNetwork: true });
    const [page, track, identify] = pageTrackIdentify("ic");
    const group = {
      type: "group",
      body: { messageId: "ic-group", userId: "user-42", groupId: "acme", traits: { name: "Acme" } },
    };
    const { entries } = await deliver(t, u, {
      destination: DEST,
      driver,
      events: [identify, group, page, track],
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    assert.equal(s.contacts.length, 1);
    assert.equal(s.contacts[0].email, "ada@example.com");
    assert.equal(s.contacts[0].external_id, "user-42");
    assert.deepEqual(s.companies.map((c) => [c.company_id, c.name]), [["acme", "Acme"]]);
    assert.deepEqual(s.attachments, [[s.contacts[0].id, s.companies[0].id]]);
    assert.deepEqual(s.events.map((e) => e.event_name), ["page-view", "Order Completed"]);
    assert.equal(
      (s.events[0].metadata as Record<string, unknown>).url,
      "https://shop.example/cart?gclid=abc",
    );
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[intercom] a second identify updates the contact; an unknown user's event fails with Intercom's words", async () => {
  const s = intercomStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("intercom", { baseUrl: s.url, allowPrivateNetwork: true, sleep: rec.sleep });
    const identify = {
      type: "identify",
      messageId: "i1",
      userId: "u1",
      traits: { email: "a@b.example", name: "A" },
    };
    const again = { ...identify, messageId: "i2", traits: { email: "a@b.example", name: "A. B." } };
    const stranger = { type: "track", messageId: "t1", userId: "nobody", event: "Clicked" };
    s.forced.push({
      status: 429,
      json: { type: "error.list", errors: [{ code: "rate_limit_exceeded", message: "Rate Limit Exceeded" }] },
      headers: { "retry-after": "2" },
    });
    const results = await writeEvents(driver, DEST, [identify, again, stranger]);
    assert.deepEqual(results.map((r) => r.status), ["SUCCESS", "SUCCESS", "FAILED"]);
    assert.deepEqual(rec.waits, [2000]);
    assert.equal(s.contacts.length, 1);
    assert.equal(s.contacts[0].name, "A. B.");
    assert.equal(results[2].error, "Intercom answered 404: User Not Found");
    assert.equal(results[2].retryable, false);
    const [bad] = await writeEvents(driver, { accessToken: "nope" }, [identify]);
    assert.equal(bad.error, "Intercom answered 401: Access Token Invalid");
  } finally {
    await s.close();
  }
});

Deno.test("[intercom] test() signs in with GET /me", async () => {
  const s = intercomStandIn();
  try {
    const driver = apiDriverOf("intercom", { baseUrl: s.url, allowPrivateNetwork: true });
    const signal = AbortSignal.timeout(5000);
    const ok = await driver.test!(DEST, { signal }) as ApiTestAnswer;
    assert.equal(ok.ok, true);
    assert.match(ok.message!, /workspace "Shop"/);
    const bad = await driver.test!({ accessToken: "x" }, { signal }) as ApiTestAnswer;
    assert.deepEqual(bad, {
      ok: false,
      step: "authenticate",
      error: "Intercom answered 401: Access Token Invalid",
    });
    assert.deepEqual(s.seen.map((r) => r.path), ["/me", "/me"]);
  } finally {
    await s.close();
  }
});
