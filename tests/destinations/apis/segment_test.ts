/** Segment proxy through the pipeline with its apiBase setting, against the stand-in in _standins/segment.ts. */
import assert from "node:assert/strict";
import type { ApiTestAnswer } from "../../../src/destinations/apis/api_driver.ts";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { SEGMENT_WRITE_KEY, segmentStandIn } from "./_standins/segment.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

Deno.test("[segment-proxy] page, track and identify are forwarded unchanged in one batch with the write key", async () => {
  const s = segmentStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const { entries } = await deliver(t, u, {
      destination: { destinationType: "segment-proxy", writeKey: SEGMENT_WRITE_KEY, apiBase: `${s.url}/v1` },
      events: pageTrackIdentify("seg"),
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    assert.deepEqual(s.events.map((e) => [e.type, e.messageId]), [
      ["page", "seg-page"],
      ["track", "seg-track"],
      ["identify", "seg-identify"],
    ]);
    assert.equal((s.events[1] as { event: string }).event, "Order Completed");
    assert.equal(s.seen.length, 1);
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[segment-proxy] an event over 32 KB is refused before sending; a 400 names Segment's message; 429 waits", async () => {
  const s = segmentStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("segment-proxy", { allowPrivateNetwork: true, sleep: rec.sleep });
    const creds = { writeKey: SEGMENT_WRITE_KEY, apiBase: `${s.url}/v1` };
    const big = { ...tracks(1)[0], properties: { blob: "x".repeat(40_000) } };
    const results = await writeEvents(driver, creds, [big, ...tracks(2)]);
    assert.deepEqual(results.map((r) => r.status), ["FAILED", "SUCCESS", "SUCCESS"]);
    assert.equal(results[0].error, "Cannot send to Segment: the event is larger than Segment's 32 KB limit");
    assert.equal(results[0].retryable, false);
    s.forced.push({ status: 429, text: "Too Many Requests", headers: { "retry-after": "2" } });
    s.forced.push({ status: 400, json: { success: false, message: "Invalid JSON" } });
    const [bad] = await writeEvents(driver, creds, tracks(1));
    assert.deepEqual(rec.waits, [2000]);
    assert.equal(bad.error, "Segment answered 400 (after 1 retry, waiting 2s): Invalid JSON");
    assert.equal(bad.retryable, false);
  } finally {
    await s.close();
  }
});

Deno.test("[segment-proxy] test() sends an empty batch and says the write key cannot be checked", async () => {
  const s = segmentStandIn();
  try {
    const driver = apiDriverOf("segment-proxy", { allowPrivateNetwork: true });
    const r = await driver.test!({ writeKey: "any", apiBase: `${s.url}/v1` }, {
      signal: AbortSignal.timeout(5000),
    }) as ApiTestAnswer;
    assert.equal(r.ok, true);
    assert.match(r.message!, /Not checked: the write key/);
    assert.deepEqual(s.seen[0].json, { batch: [] });
  } finally {
    await s.close();
  }
});
