/** The small parsers of the drop-in endpoints: the logged path, the pixel's event, the settings document. */
import assert from "node:assert/strict";
import { loggablePath } from "../../src/http/request_log.ts";
import { pixelEvent } from "../../src/api/pixel.ts";
import { segmentSettings } from "../../src/api/segment.ts";

Deno.test("loggablePath() masks credentials in paths and Segment's settings key, and leaves other paths alone", () => {
  assert.equal(loggablePath("/v1/projects/bk-1:s3cret/settings"), "/v1/projects/***/settings");
  assert.equal(loggablePath("/projects/plainkey/settings"), "/projects/***/settings");
  assert.equal(loggablePath("/v1/projects/bk-1%3As3cret/settings"), "/v1/projects/***/settings");
  assert.equal(loggablePath("/anything/key-1:s3cret/x"), "/anything/key-1:***/x");
  assert.equal(loggablePath("/anything/key-1%3as3cret"), "/anything/key-1:***");
  assert.equal(loggablePath("/api/s/track"), "/api/s/track");
  assert.equal(loggablePath("/api/ws-1/config/stream/abc"), "/api/ws-1/config/stream/abc");
});

Deno.test("pixelEvent() reads data (base64 JSON), other parameters as fields, and with process_headers the cookies and Referer", () => {
  const data = btoa(JSON.stringify({ event: "Opened", properties: { a: 1 } }));
  const q = new URLSearchParams({
    data,
    "context.campaign.source": "mail",
    userId: "u-1",
    writekey: "k:s",
    process_headers: "true",
  });
  const ev = pixelEvent(q, {
    cookie: "__eventn_id=anon-7; other=1",
    referer: "https://shop.example.com/p?x=1",
  }, "t");
  assert.deepEqual(ev, {
    event: "Opened",
    properties: { a: 1 },
    context: {
      campaign: { source: "mail" },
      page: { url: "https://shop.example.com/p?x=1", path: "/p", search: "?x=1", host: "shop.example.com" },
    },
    userId: "u-1",
    anonymousId: "anon-7",
  });
  assert.match(
    pixelEvent(new URLSearchParams({ data: "%%%" }), {}, "t") as string,
    /^Cannot decode the event/,
  );
  assert.equal(
    pixelEvent(new URLSearchParams({ data: btoa("[1]") }), {}, "t"),
    '"data" must hold a JSON object',
  );
  const page = pixelEvent(
    new URLSearchParams({ process_headers: "1" }),
    { referer: "https://a.io/x" },
    "page",
  );
  assert.deepEqual((page as { properties: unknown }).properties, {
    url: "https://a.io/x",
    path: "/x",
    search: "",
    host: "a.io",
  });
});

Deno.test("segmentSettings() sends analytics.js to PUBLIC_URL's host + /v1 over its protocol, and no metrics to Segment", () => {
  const s = segmentSettings("http://localhost:3000", "k:s");
  assert.deepEqual(
    { ...s.integrations["Segment.io"], unbundledIntegrations: undefined, versionSettings: undefined },
    {
      apiKey: "k:s",
      apiHost: "localhost:3000/v1",
      protocol: "http",
      unbundledIntegrations: undefined,
      addBundledMetadata: true,
      maybeBundledConfigIds: {},
      versionSettings: undefined,
    },
  );
  assert.equal(s.metrics.sampleRate, 0);
});
