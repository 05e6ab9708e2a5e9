/**
 * Segment's endpoints driven the way analytics.js and Segment's HTTP API call them: the settings first,
 * then the short paths with `text/plain` JSON carrying `writeKey`, its batching path, the tracking API with
 * Basic auth, and the batch aliases.
 */
import assert from "node:assert/strict";
import { queuePayloadFromIncoming } from "../../src/store/ingest_repo.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { basicAuth, type Setup, setupPipeline } from "../pipeline/fixtures.ts";

const PUBLIC_URL = "https://collect.example.com";

async function withStream(fn: (t: TestApp, s: Setup) => Promise<void>, streamData?: Record<string, unknown>) {
  const t = await testApp({ env: { PUBLIC_URL } });
  try {
    const s = await setupPipeline(await t.user(), {
      destination: { destinationType: "devnull" },
      streamData,
    });
    await fn(t, s);
  } finally {
    await t.close();
  }
}

async function queued(t: TestApp) {
  const rows = await t.deps.db.query<{ payload: string | null; message: string | null }>(
    `select q.payload, e.message from event_queue q left join events_log e on e.id = q.log_id order by q.id`,
  );
  return rows.map((r) => JSON.parse(r.payload ?? queuePayloadFromIncoming(r.message!)!));
}

/** An event as analytics.js 1.x builds it before posting it to `<apiHost>/<t|p|i|...>`. */
function analyticsJsEvent(writeKey: string, fields: Record<string, unknown>) {
  return {
    anonymousId: "a5e9c1f0-anon",
    context: {
      page: { path: "/pricing", referrer: "", title: "Pricing", url: "https://shop.example.com/pricing" },
      userAgent: "Mozilla/5.0 (test)",
      library: { name: "analytics.js", version: "next-1.70.0" },
    },
    integrations: {},
    messageId: `ajs-next-${crypto.randomUUID()}`,
    timestamp: new Date().toISOString(),
    writeKey,
    sentAt: new Date().toISOString(),
    _metadata: { bundled: ["Segment.io"], unbundled: [], bundledIds: [] },
    ...fields,
  };
}

Deno.test("analytics.js: settings point apiHost at PUBLIC_URL/v1, then text/plain events to the short paths are stored", async () => {
  await withStream(async (t, s) => {
    const settingsRes = await t.request(`/v1/projects/${encodeURIComponent(s.browserKey)}/settings`, {
      headers: { origin: "https://shop.example.com" },
    });
    const settings = await expectJson(settingsRes, 200);
    assert.equal(settingsRes.headers.get("access-control-allow-origin"), "https://shop.example.com");
    assert.match(settingsRes.headers.get("cache-control") ?? "", /max-age=\d+/);
    const segmentIo = settings.integrations["Segment.io"];
    assert.equal(segmentIo.apiKey, s.browserKey);
    assert.equal(segmentIo.apiHost, "collect.example.com/v1");
    assert.equal(segmentIo.protocol, "https");

    // analytics.js posts `${protocol}://${apiHost}/${type initial}` with a text/plain JSON body.
    const base = new URL(`${segmentIo.protocol}://${segmentIo.apiHost}`).pathname;
    const sent = [
      ["p", analyticsJsEvent(s.browserKey, { type: "page", properties: { path: "/pricing" } })],
      [
        "t",
        analyticsJsEvent(s.browserKey, { type: "track", event: "Signed Up", properties: { plan: "pro" } }),
      ],
      ["i", analyticsJsEvent(s.browserKey, { type: "identify", userId: "u-1", traits: { email: "x@y.z" } })],
      ["g", analyticsJsEvent(s.browserKey, { type: "group", groupId: "g-1" })],
      ["a", analyticsJsEvent(s.browserKey, { type: "alias", userId: "u-1", previousId: "a5e9c1f0-anon" })],
    ] as const;
    for (const [path, event] of sent) {
      const res = await t.request(`${base}/${path}`, {
        method: "POST",
        headers: { "content-type": "text/plain", origin: "https://shop.example.com" },
        body: JSON.stringify(event),
      });
      const body = await expectJson(res, 200);
      assert.equal(body.ok, true, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.messageId, event.messageId);
    }
    const rows = await queued(t);
    assert.deepEqual(rows.map((r) => r.event.type), ["page", "track", "identify", "group", "alias"]);
    for (const r of rows) {
      assert.equal(r.ingestType, "browser", "a browser key's events are browser events");
      assert.equal(r.event.writeKey, undefined, "the write key in the body is never stored");
    }
    assert.equal(rows[1].event.event, "Signed Up");
    assert.equal(rows[1].event.properties.plan, "pro");
    const stored = await t.deps.db.query<{ message: string }>(`select message from events_log`);
    assert.ok(
      !stored.some((r) => r.message.includes(s.browserKey.split(":")[1])),
      "no secret in Live Events",
    );
  });
});

Deno.test("analytics.js batching posts {batch, writeKey, sentAt} as text/plain to /v1/b", async () => {
  await withStream(async (t, s) => {
    const res = await t.request("/v1/b", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({
        writeKey: s.browserKey,
        sentAt: new Date().toISOString(),
        batch: [
          analyticsJsEvent(s.browserKey, { type: "page" }),
          analyticsJsEvent(s.browserKey, { type: "track", event: "Clicked" }),
        ],
      }),
    });
    assert.deepEqual(await expectJson(res, 200), { ok: true, receivedEvents: 2, okEvents: 2 });
    const rows = await queued(t);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.ingestType === "browser" && r.event.writeKey === undefined));
  });
});

Deno.test("Segment's HTTP tracking API takes Basic base64(writeKey:) on /v1/track, /v1/identify, ... and refuses a bad key with 401", async () => {
  await withStream(async (t, s) => {
    const calls: [string, Record<string, unknown>][] = [
      ["track", { userId: "u-1", event: "Order Completed", properties: { revenue: 12.5 } }],
      ["identify", { userId: "u-1", traits: { plan: "pro" } }],
      ["page", { userId: "u-1", name: "Home" }],
      ["screen", { userId: "u-1", name: "Main" }],
      ["group", { userId: "u-1", groupId: "acme" }],
      ["alias", { userId: "u-1", previousId: "anon-1" }],
    ];
    for (const [path, event] of calls) {
      const res = await t.request(`/v1/${path}`, {
        method: "POST",
        headers: { authorization: basicAuth(s.serverKey) },
        json: event,
      });
      assert.equal((await expectJson(res, 200)).ok, true, path);
    }
    const rows = await queued(t);
    assert.deepEqual(rows.map((r) => r.event.type), [
      "track",
      "identify",
      "page",
      "screen",
      "group",
      "alias",
    ]);
    assert.ok(rows.every((r) => r.ingestType === "s2s"), "a server key's events are server events");
    assert.equal(rows[0].event.properties.revenue, 12.5);

    const noKey = await t.request("/v1/track", { method: "POST", json: { userId: "u", event: "x" } });
    assert.equal(noKey.status, 401);
    assert.match((await noKey.json()).error, /^Missing write key/);
    const wrong = await t.request("/v1/track", {
      method: "POST",
      headers: { authorization: basicAuth(`${s.serverKey.split(":")[0]}:not-the-secret-123`) },
      json: { userId: "u", event: "x" },
    });
    assert.equal(wrong.status, 401);
    const noName = await t.request("/v1/track", {
      method: "POST",
      headers: { authorization: basicAuth(s.serverKey) },
      json: { userId: "u" },
    });
    assert.equal(noName.status, 400);
    assert.match((await noName.json()).error, /needs "event"/);
    assert.equal((await queued(t)).length, 6, "nothing more was stored");
  });
});

Deno.test("the batch aliases /batch, /b and /v1/batch/b take Segment's batch; a too-large single event is a 413", async () => {
  await withStream(async (t, s) => {
    for (const path of ["/batch", "/b", "/v1/batch/b"]) {
      const res = await t.request(path, {
        method: "POST",
        headers: { authorization: basicAuth(s.serverKey) },
        json: { batch: [{ type: "track", event: "E", userId: "u" }] },
      });
      assert.deepEqual(await expectJson(res, 200), { ok: true, receivedEvents: 1, okEvents: 1 }, path);
    }
    const big = await t.request("/v1/t", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({
        writeKey: s.browserKey,
        type: "track",
        event: "x",
        blob: "x".repeat(1100 * 1024),
      }),
    });
    assert.equal(big.status, 413);
    assert.equal((await queued(t)).length, 3);
  });
});

Deno.test("analytics.js from a refused origin gets Jitsu's 200 answer and nothing is stored", async () => {
  await withStream(async (t, s) => {
    const res = await t.request("/v1/t", {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "https://evil.example.net" },
      body: JSON.stringify(analyticsJsEvent(s.browserKey, { type: "track", event: "x" })),
    });
    const body = await expectJson(res, 200);
    assert.equal(body.ok, false);
    assert.equal(body.error, "Origin evil.example.net is not authorized by: shop.example.com");
    assert.equal((await queued(t)).length, 0);
  }, { authorizedJavaScriptDomains: "shop.example.com" });
});
