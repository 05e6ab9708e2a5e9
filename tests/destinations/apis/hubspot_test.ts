/** HubSpot through the pipeline and directly, against the stand-in in _standins/hubspot.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { HUBSPOT_TOKEN, hubspotStandIn } from "./_standins/hubspot.ts";
import { recordedSleep, writeEvents } from "./_write.ts";

const DEST = { destinationType: "hubspot", accessToken: HUBSPOT_TOKEN };

Deno.test("[hubspot] identify upserts the contact and its company, group the company; the properties are created", async () => {
  const s = hubspotStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("hubspot", { baseUrl: s.url, allowPrivateNetwork: true });
    const [page, track, identify] = pageTrackIdentify("hs");
    const withGroup = { ...identify, body: { ...identify.body, groupId: "acme" } };
    const group = {
      type: "group",
      body: { messageId: "hs-group", userId: "user-42", groupId: "acme", traits: { name: "Acme Inc" } },
    };
    const { entries } = await deliver(t, u, {
      destination: DEST,
      driver,
      events: [page, track, withGroup, group],
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SKIPPED", "SKIPPED", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    assert.ok(s.properties.contacts.has("jitsu_user_id") && s.properties.companies.has("jitsu_group_id"));
    assert.deepEqual(s.objects.contacts.map((c) => c.properties), [
      { email: "ada@example.com", firstname: "Ada", jitsu_user_id: "user-42" },
    ]);
    assert.deepEqual(s.objects.companies.map((c) => c.properties), [{
      name: "Acme Inc",
      jitsu_group_id: "acme",
    }]);
    assert.deepEqual(s.associations, [[s.objects.contacts[0].id, s.objects.companies[0].id]]);
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[hubspot] behavioral events with sendPageViewEvents; errors name HubSpot's message; 429 waits", async () => {
  const s = hubspotStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("hubspot", { baseUrl: s.url, allowPrivateNetwork: true, sleep: rec.sleep });
    s.forced.push({
      status: 429,
      json: { status: "error", message: "You have reached your secondly limit.", category: "RATE_LIMITS" },
      headers: { "retry-after": "1" },
    });
    const pageView = {
      type: "page",
      messageId: "p1",
      properties: { email: "x@y.example", url: "https://shop.example/" },
    };
    const [ok] = await writeEvents(driver, { ...DEST, sendPageViewEvents: true }, [pageView]);
    assert.equal(ok.status, "SUCCESS", ok.error);
    assert.deepEqual(rec.waits, [1000]);
    assert.deepEqual(
      s.events.map((e) => [e.eventName, e.email, (e.properties as Record<string, unknown>).url]),
      [
        ["page", "x@y.example", "https://shop.example/"],
      ],
    );
    const noProps = hubspotStandIn();
    try {
      const bare = apiDriverOf("hubspot", { baseUrl: noProps.url, allowPrivateNetwork: true });
      const identify = { type: "identify", messageId: "i1", userId: "u1", traits: { email: "a@b.example" } };
      const [refused] = await writeEvents(bare, { ...DEST, autoCreateCustomProperties: false }, [identify]);
      assert.equal(refused.status, "FAILED");
      assert.equal(
        refused.error,
        "HubSpot answered 400: There was a problem with the request: unknown property jitsu_user_id",
      );
    } finally {
      await noProps.close();
    }
    const [bad] = await writeEvents(driver, { accessToken: "nope", sendPageViewEvents: true }, [pageView]);
    assert.equal(
      bad.error,
      "HubSpot answered 401: Authentication credentials not found. This API supports OAuth 2.0 authentication.",
    );
    const tested = await driver.test!(DEST, { signal: AbortSignal.timeout(5000) }) as ApiTestAnswer;
    assert.equal(tested.ok, true);
    assert.match(tested.message!, /can read contacts/);
  } finally {
    await s.close();
  }
});
