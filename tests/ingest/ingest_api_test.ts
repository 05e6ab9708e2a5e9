import assert from "node:assert/strict";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { queuePayloadFromIncoming } from "../../src/store/ingest_repo.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { basicAuth, type Setup, setupPipeline } from "../pipeline/fixtures.ts";

async function withStream(
  env: Record<string, string>,
  fn: (t: TestApp, s: Setup, ws: string, auth: string) => Promise<void>,
) {
  const t = await testApp({ env });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    await fn(t, s, u.workspace.id, u.auth);
  } finally {
    await t.close();
  }
}

async function queued(t: TestApp) {
  // Ingest's rows refer to their incoming entry; the pipeline rebuilds the payload from it on claim.
  const rows = await t.deps.db.query<{ payload: string | null; message: string | null }>(
    `select q.payload, e.message from event_queue q left join events_log e on e.id = q.log_id order by q.id`,
  );
  return rows.map((r) => JSON.parse(r.payload ?? queuePayloadFromIncoming(r.message!)!));
}

Deno.test("browser endpoint takes a browser key from Basic auth, X-Write-Key or ?writekey= and normalises", async () => {
  await withStream({}, async (t, s) => {
    const base = {
      event: "Clicked",
      messageId: "ok-id_1.2",
      context: { ip: "6.6.6.6", page: { path: "/" } },
    };
    const variants: [string, RequestInit & { json?: unknown }][] = [
      ["/api/s/track", { headers: { authorization: basicAuth(s.browserKey) } }],
      ["/api/s/t", { headers: { "x-write-key": s.browserKey } }],
      [`/api/s/event?writekey=${encodeURIComponent(s.browserKey)}`, {}],
    ];
    for (const [path, init] of variants) {
      const body = path.includes("event") ? { ...base, type: "track" } : base;
      const res = await t.request(path, {
        method: "POST",
        ...init,
        headers: {
          ...init.headers as Record<string, string>,
          "user-agent": "UA/1",
          "accept-language": "fr-FR,fr;q=0.9",
        },
        json: body,
      });
      assert.deepEqual(await expectJson(res, 200), { ok: true, messageId: "ok-id_1.2" }, path);
    }
    const rows = await queued(t);
    assert.equal(rows.length, 3);
    for (const p of rows) {
      assert.equal(p.ingestType, "browser");
      assert.equal(p.event.type, "track");
      assert.equal(p.event.messageId, "ok-id_1.2");
      assert.equal(p.event.context.userAgent, "UA/1");
      assert.equal(p.event.context.locale, "fr-FR");
      assert.equal(p.event.context.ip, undefined, "a browser's own context.ip is never trusted");
      assert.deepEqual(p.event.context.page, { path: "/" });
      assert.ok(!Number.isNaN(Date.parse(p.event.receivedAt)));
      assert.ok(!Number.isNaN(Date.parse(p.event.timestamp)));
    }
  });
});

Deno.test("requestIp and context.ip come from X-Forwarded-For only with TRUST_PROXY", async () => {
  for (const trust of [false, true]) {
    await withStream({ TRUST_PROXY: String(trust) }, async (t, s) => {
      const res = await t.request("/api/s/page", {
        method: "POST",
        headers: { "x-write-key": s.browserKey, "x-forwarded-for": "203.0.113.7, 10.0.0.1" },
        json: { messageId: "has spaces so replaced" },
      });
      const body = await expectJson(res, 200);
      assert.match(body.messageId, /^[0-9a-f-]{36}$/, "an insane messageId is replaced by a UUID");
      const [p] = await queued(t);
      assert.equal(p.event.requestIp, trust ? "203.0.113.7" : undefined);
      assert.equal(p.event.context.ip, trust ? "203.0.113.7" : undefined);
    });
  }
});

Deno.test("key problems: 200 with the error on browser endpoints, 401 on server endpoints", async () => {
  await withStream({}, async (t, s) => {
    // A second stream: with a sole stream, a keyless browser event would go to it (Jitsu's locators).
    await setupPipeline(await t.user(), { destination: { destinationType: "devnull" } });
    const post = (path: string, headers: Record<string, string>) =>
      t.request(path, { method: "POST", headers, json: { event: "x" } });
    const [keyId] = s.serverKey.split(":");

    const b1 = await expectJson(await post("/api/s/track", {}), 200);
    assert.equal(b1.ok, false);
    assert.match(b1.error, /^Missing write key/);
    const b2 = await expectJson(await post("/api/s/track", { "x-write-key": `${keyId}:wrong-secret` }), 200);
    assert.match(b2.error, /^Invalid write key .*:\*\*\*/);
    assert.ok(!b2.error.includes("wrong-secret"), "a sent secret is never echoed");
    const b3 = await expectJson(await post("/api/s/track", { "x-write-key": s.serverKey }), 200);
    assert.match(b3.error, /is a server key/);

    const s1 = await post("/api/s/s2s/track", {});
    assert.equal(s1.status, 401);
    assert.match((await s1.json()).error, /^Missing write key/);
    assert.equal((await post("/api/s/s2s/track", { "x-write-key": "nope:nope-secret-1234" })).status, 401);
    const s3 = await post("/api/s/s2s/track", { "x-write-key": s.browserKey });
    assert.equal(s3.status, 401);
    assert.match((await s3.json()).error, /is a browser key/);
    assert.equal((await post("/api/s/s2s/track", { "x-write-key": "no-colon" })).status, 401);
    assert.equal((await queued(t)).length, 0, "nothing was accepted");
  });
});

Deno.test("bad events and bodies get clear 4xx answers", async () => {
  await withStream({}, async (t, s) => {
    const h = { "x-write-key": s.serverKey, "content-type": "application/json" };
    const post = (path: string, body: BodyInit, headers: Record<string, string> = h) =>
      t.request(path, { method: "POST", headers, body });

    const noName = await expectJson(await post("/api/s/s2s/track", JSON.stringify({ userId: "u" })), 400);
    assert.match(noName.error, /a track event needs "event"/);
    const badType = await expectJson(
      await post("/api/s/s2s/event", JSON.stringify({ type: "purchase" })),
      400,
    );
    assert.match(badType.error, /event type "purchase" is not one of page, identify/);
    const notObject = await expectJson(await post("/api/s/s2s/page", "[1,2]"), 400);
    assert.match(notObject.error, /must be a JSON object/);
    const malformed = await expectJson(await post("/api/s/s2s/track", '{"event": "x",\n  "userId": }'), 400);
    assert.match(malformed.error, /^Malformed JSON: .*line 2, column 13/);
    const truncated = await expectJson(await post("/api/s/s2s/track", '{"event": "x"'), 400);
    assert.match(truncated.error, /^Malformed JSON/);
    const empty = await expectJson(await post("/api/s/s2s/track", ""), 400);
    assert.match(empty.error, /empty/);
    const big = await post("/api/s/s2s/track", JSON.stringify({ event: "x", blob: "a".repeat(1024 * 1024) }));
    assert.equal(big.status, 413);
    assert.match((await big.json()).error, /larger than 1048576 bytes/);
    const xml = await post("/api/s/s2s/track", "<x/>", { ...h, "content-type": "application/xml" });
    assert.equal(xml.status, 415);
    const unknownPath = await expectJson(await post("/api/s/s2s/purchase", "{}"), 404);
    assert.match(unknownPath.error, /Unknown event type "purchase"/);
    const text = await post("/api/s/s2s/track", JSON.stringify({ event: "beacon" }), {
      ...h,
      "content-type": "text/plain",
    });
    assert.equal(text.status, 200, "text/plain bodies (sendBeacon) are JSON too");
    assert.equal((await queued(t)).length, 1);
  });
});

Deno.test("POST /v1/batch (Segment) takes the key in Basic auth or the body, gzip, and a shared context", async () => {
  await withStream({}, async (t, s) => {
    const batch = {
      batch: [
        { type: "track", event: "A", messageId: "a-1", context: { app: "mine" } },
        { type: "identify", userId: "u1", messageId: "b-1" },
        { type: "track", messageId: "c-1" },
      ],
      context: { app: "shared", library: { name: "analytics-node" } },
    };
    const res = await t.request("/v1/batch", {
      method: "POST",
      headers: { authorization: basicAuth(s.serverKey) },
      json: batch,
    });
    const body = await expectJson(res, 200);
    assert.equal(body.ok, false);
    assert.equal(body.receivedEvents, 3);
    assert.equal(body.okEvents, 2);
    assert.deepEqual(body.errors, [
      'Event 2 (message ID c-1): a track event needs "event" (its name), a non-empty string',
    ]);
    const rows = await queued(t);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows[0].event.context,
      { app: "mine", library: { name: "analytics-node" } },
      "event context wins",
    );
    assert.equal(rows[1].event.context.app, "shared");

    const gz = new Response(
      new Blob([JSON.stringify({ writeKey: s.serverKey, batch: [{ type: "page", messageId: "gz-1" }] })])
        .stream()
        .pipeThrough(new CompressionStream("gzip")),
    );
    const zipped = await t.request("/api/s/s2s/batch", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: await gz.arrayBuffer(),
    });
    assert.deepEqual(await expectJson(zipped, 200), { ok: true, receivedEvents: 1, okEvents: 1 });
    const noBatch = await expectJson(
      await t.request("/v1/batch", {
        method: "POST",
        headers: { authorization: basicAuth(s.serverKey) },
        json: { events: [] },
      }),
      400,
    );
    assert.match(noBatch.error, /"batch" must be an array/);
    const noKey = await t.request("/v1/batch", { method: "POST", json: { batch: [] } });
    assert.equal(noKey.status, 401);
    const oversized = await expectJson(
      await t.request("/v1/batch", {
        method: "POST",
        headers: { authorization: basicAuth(s.serverKey) },
        json: { batch: [{ type: "page", blob: "é".repeat(600 * 1024) }, { type: "page" }] },
      }),
      200,
    );
    assert.equal(oversized.okEvents, 1);
    assert.match(oversized.errors[0], /^Event 0: event is \d+ bytes, more than 1048576$/);
  });
});

Deno.test("an accepted event is queued with its incoming entry in one transaction (a failed commit stores neither)", async () => {
  await withStream({}, async (t, s, ws) => {
    await t.deps.db.exec("alter table event_queue rename to event_queue_moved");
    const res = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: { event: "x" },
    });
    assert.equal(res.status, 500);
    const none = await queryEvents(t.deps.db, { workspaceId: ws, type: "incoming", actorId: s.streamId });
    assert.equal(none.events.length, 0, "no incoming entry without its queue row");
    await t.deps.db.exec("alter table event_queue_moved rename to event_queue");
    const ok = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: { event: "x" },
    });
    assert.equal(ok.status, 200);
    const one = await queryEvents(t.deps.db, { workspaceId: ws, type: "incoming", actorId: s.streamId });
    assert.equal(one.events.length, 1);
    assert.equal((await queued(t)).length, 1);
  });
});

Deno.test("a full queue answers 503 with Retry-After", async () => {
  await withStream({ QUEUE_MAX_DEPTH: "2" }, async (t, s) => {
    const send = () =>
      t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { event: "x" },
      });
    assert.equal((await send()).status, 200);
    assert.equal((await send()).status, 200);
    // The depth figure refreshes in the background about once a second: a request soon sees it.
    let full = await send();
    for (let i = 0; i < 40 && full.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      full = await send();
    }
    assert.equal(full.status, 503);
    assert.equal(full.headers.get("retry-after"), "5");
    assert.match((await full.json()).error, /queue is full/);
  });
});

Deno.test("the queue limit counts every event of a batch and the events accepted since the last count", async () => {
  await withStream({ QUEUE_MAX_DEPTH: "100" }, async (t, s) => {
    const batch = (n: number) =>
      t.request("/api/s/s2s/batch", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { batch: Array.from({ length: n }, (_, i) => ({ type: "track", event: `e${i}` })) },
      });
    // An empty queue takes a batch, whatever the room.
    assert.equal((await batch(30)).status, 200);
    // Within the same second (no new count of the queue): 30 + 30 + 30 fit, a fourth 30 would make 120.
    assert.equal((await batch(30)).status, 200);
    assert.equal((await batch(30)).status, 200);
    const refused = await batch(30);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "5");
    await refused.body?.cancel();
    // What still fits is accepted: 90 + 10 = 100.
    assert.equal((await batch(10)).status, 200);
    const rows = await t.deps.db.query<{ n: number }>("select count(*)::int as n from event_queue");
    assert.equal(rows[0].n, 100);
  });
});

Deno.test("concurrent single events share transactions (group commit)", async () => {
  await withStream({}, async (t, s) => {
    const db = t.deps.db;
    let inserts = 0;
    const original = db.query.bind(db);
    db.query = (text, params) => {
      if (text.includes("insert into events_log")) inserts++;
      return original(text, params);
    };
    const sends = Array.from(
      { length: 50 },
      (_, i) =>
        t.request("/api/s/s2s/track", {
          method: "POST",
          headers: { "x-write-key": s.serverKey },
          json: { event: `e${i}` },
        }),
    );
    const statuses = (await Promise.all(sends)).map((r) => r.status);
    assert.ok(statuses.every((x) => x === 200));
    assert.equal((await queued(t)).length, 50);
    assert.ok(inserts >= 1 && inserts < 10, `50 events took ${inserts} insert statements`);
  });
});

Deno.test("browser endpoints answer CORS preflights and echo the origin", async () => {
  await withStream({}, async (t, s) => {
    const pre = await t.request("/api/s/track", {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "https://shop.example");
    assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
    assert.match(pre.headers.get("access-control-allow-headers")!, /x-write-key/);
    const res = await t.request("/api/s/track", {
      method: "POST",
      headers: { origin: "https://shop.example", "x-write-key": s.browserKey },
      json: { event: "x" },
    });
    assert.equal(res.headers.get("access-control-allow-origin"), "https://shop.example");
  });
});

Deno.test("Live Events show an incoming body as Jitsu's JSON string, in batch order, and search finds what it shows", async () => {
  await withStream({}, async (t, s, ws, auth) => {
    const batch = [
      { type: "track", event: "first", messageId: "b-1", properties: { note: 'say "hi" \\ back' } },
      { type: "track", messageId: "b-2" }, // refused: a track event needs "event"
      { type: "track", event: "third", messageId: "b-3" },
    ];
    const res = await t.request("/v1/batch", {
      method: "POST",
      headers: { authorization: basicAuth(s.serverKey) },
      json: { batch },
    });
    assert.equal((await expectJson(res, 200)).okEvents, 2);
    const page = await expectJson(
      await t.request(`/api/${ws}/log/incoming/${s.streamId}?limit=10`, {
        headers: { authorization: auth },
      }),
      200,
    );
    const entries = (page.events ?? page) as { content: { body: unknown; status: string } }[];
    assert.ok(entries.every((e) => typeof e.content.body === "string"), "body is a JSON string");
    const bodies = entries.map((e) => JSON.parse(e.content.body as string));
    assert.deepEqual(
      bodies.map((b) => b.httpPayload.messageId).reverse(),
      ["b-1", "b-2", "b-3"],
      "newest first, in the batch's order",
    );
    assert.equal(bodies.at(-1).httpPayload.properties.note, 'say "hi" \\ back');
    const search = async (text: string) =>
      (await queryEvents(t.deps.db, { workspaceId: ws, type: "incoming", search: text })).events.length;
    // What a reader copies from the body string is escaped once more than what is stored.
    assert.equal(await search('\\"event\\":\\"first\\"'), 1);
    assert.equal(await search('"event":"first"'), 1);
    assert.equal(await search("third"), 1);
    assert.equal(await search('say \\"hi\\"'), 1);
    assert.equal(await search("nothing-like-this"), 0);
  });
});
