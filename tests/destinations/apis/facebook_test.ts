/** Facebook Conversions API through the pipeline and directly, against _standins/facebook.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { FACEBOOK_CREDS, facebookStandIn } from "./_standins/facebook.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

const DEST = {
  destinationType: "facebook-conversions",
  ...FACEBOOK_CREDS,
  events: "*",
  phoneFieldName: "phone",
};

async function sha256(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("[facebook-conversions] page and track are sent with hashed email and phone; identify is skipped", async () => {
  const s = facebookStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const driver = apiDriverOf("facebook-conversions", { baseUrl: s.url, allowPrivateNetwork: true });
    const events = pageTrackIdentify("fb").map((e) => ({
      ...e,
      body: {
        ...e.body,
        context: {
          ...(e.body.context as object),
          traits: { email: " Ada@Example.com ", phone: "+1 (555) 010-2030" },
        },
      },
    }));
    const { entries } = await deliver(t, u, { destination: DEST, driver, events });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SKIPPED"],
      JSON.stringify(entries),
    );
    assert.deepEqual(s.events.map((e) => e.event_name), ["page", "Order Completed"]);
    const ud = s.events[1].user_data as Record<string, unknown>;
    assert.equal(ud.em, await sha256("ada@example.com"));
    assert.equal(ud.ph, await sha256("15550102030"));
    assert.deepEqual(ud.external_id, ["user-42", "anon-777-xyz"]);
    assert.equal(s.events[1].event_id, "fb-track");
    assert.deepEqual(s.events[1].custom_data, { order_id: "o-1", total: 12.5, currency: "EUR" });
    assert.ok(
      entries.every((e) => !JSON.stringify(e).includes(FACEBOOK_CREDS.accessToken)),
      "no token in Live Events",
    );
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[facebook-conversions] a bad token fails with the Graph error; a 500 is retried; 1500 events in two requests", async () => {
  const s = facebookStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("facebook-conversions", {
      baseUrl: s.url,
      allowPrivateNetwork: true,
      sleep: rec.sleep,
    });
    const [bad] = await writeEvents(driver, { ...DEST, accessToken: "wrong" }, tracks(1));
    assert.equal(
      bad.error,
      "Facebook Conversions API answered 400: Invalid OAuth access token - Cannot parse access token",
    );
    assert.equal(bad.retryable, false);
    s.forced.push({ status: 500, json: { error: { message: "An unknown error occurred", code: 1 } } });
    const many = await writeEvents(
      driver,
      DEST,
      tracks(1500).map((e) => ({ ...e, timestamp: new Date().toISOString() })),
    );
    assert.ok(many.every((r) => r.status === "SUCCESS"), JSON.stringify(many[0]));
    assert.deepEqual(rec.waits, [1000]);
    const sizes = s.seen.filter((r) => r.method === "POST" && r.json?.data?.length > 1).map((r) =>
      r.json.data.length
    );
    assert.equal(sizes.length, 3, "two requests, one of them sent again after the 500");
    assert.ok(sizes.every((n) => n <= 1000) && sizes.includes(1000) && sizes.includes(500));
    assert.equal(s.events.length, 1500);
    const tested = await driver.test!(DEST, { signal: AbortSignal.timeout(5000) }) as ApiTestAnswer;
    assert.equal(tested.ok, true);
    assert.match(tested.message!, /can read pixel/);
  } finally {
    await s.close();
  }
});
