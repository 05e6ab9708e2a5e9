/**
 * authorizedJavaScriptDomains on browser endpoints (Jitsu's checkOrigin) and keyless routing (Jitsu's
 * stream locators: a data host, a stream's `domains`, the sole stream; never a strict stream).
 */
import assert from "node:assert/strict";
import { originHost, refusedOrigin } from "../../src/ingest/origin.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { basicAuth, setupPipeline } from "../pipeline/fixtures.ts";

Deno.test("refusedOrigin() follows Jitsu's rules: exact hosts, *.wildcards (apex included), schemes and ports ignored", () => {
  const list = "https://shop.example.com/, *.example.org, http://localhost:8080";
  for (const ok of ["https://shop.example.com", "http://shop.example.com:8443", "https://a.b.example.org"]) {
    assert.equal(refusedOrigin(list, ok), null, ok);
  }
  assert.equal(refusedOrigin(list, "https://example.org"), null, "*.example.org allows the apex too");
  assert.equal(refusedOrigin(list, "http://localhost:3000"), null, "ports are ignored");
  assert.equal(refusedOrigin(list, "https://SHOP.Example.com"), null, "host names are case-insensitive");
  assert.equal(
    refusedOrigin(list, "https://evil-example.org"),
    `Origin evil-example.org is not authorized by: ${list}`,
    "a suffix without the dot is not a subdomain",
  );
  assert.match(refusedOrigin(list, "https://shop.example.com.evil.net")!, /is not authorized/);
  assert.equal(refusedOrigin("", "https://any.net"), null, "an empty list allows any origin");
  assert.equal(refusedOrigin(" * ", "https://any.net"), null, "* allows any origin");
  assert.equal(refusedOrigin(null, "https://any.net"), null);
  assert.equal(
    refusedOrigin("shop.example.com", null),
    null,
    "no Origin header: not a cross-site browser call",
  );
  assert.equal(originHost("https://[::1]:3000"), "[::1]");
});

async function app(): Promise<TestApp> {
  return await testApp({ env: { PUBLIC_URL: "https://data.example.io" } });
}

async function stored(t: TestApp): Promise<{ stream: string; type: string }[]> {
  const rows = await t.deps.db.query<{ stream: string; message: string | Record<string, unknown> }>(
    `select actor_id as stream, message from events_log where type = 'incoming' order by id`,
  );
  return rows.map((r) => {
    const m = typeof r.message === "string" ? JSON.parse(r.message) : r.message;
    const body = typeof m.body === "string" ? JSON.parse(m.body) : m.body;
    return { stream: r.stream, type: body.ingestType };
  });
}

Deno.test("browser events: an allowed or wildcard origin is stored, a refused one gets 200 {ok:false} and is not", async () => {
  const t = await app();
  try {
    const s = await setupPipeline(await t.user(), {
      destination: { destinationType: "devnull" },
      streamData: { authorizedJavaScriptDomains: "shop.example.com,*.example.org" },
    });
    const send = (origin: string | null) =>
      t.request("/api/s/track", {
        method: "POST",
        headers: { "x-write-key": s.browserKey, ...(origin ? { origin } : {}) },
        json: { event: "Clicked" },
      });
    assert.equal((await expectJson(await send("https://shop.example.com"), 200)).ok, true);
    assert.equal((await expectJson(await send("https://blog.example.org"), 200)).ok, true);
    assert.equal((await expectJson(await send(null), 200)).ok, true);
    const refused = await send("https://attacker.example.net");
    assert.equal(refused.headers.get("access-control-allow-origin"), "https://attacker.example.net");
    assert.deepEqual(await expectJson(refused, 200), {
      ok: false,
      error: "Origin attacker.example.net is not authorized by: shop.example.com,*.example.org",
    });
    assert.equal((await stored(t)).length, 3, "the refused event is not stored");

    // Server keys are not browser events: no origin rule (Jitsu checks browser ingest only).
    const s2s = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { authorization: basicAuth(s.serverKey), origin: "https://attacker.example.net" },
      json: { event: "Server" },
    });
    assert.equal((await expectJson(s2s, 200)).ok, true);
  } finally {
    await t.close();
  }
});

Deno.test("keyless events go to the stream listing the request's host in domains, or the data host <streamId>.<PUBLIC_URL host>", async () => {
  const t = await app();
  try {
    const u = await t.user();
    const a = await setupPipeline(u, {
      destination: { destinationType: "devnull" },
      streamData: { domains: ["events.shop.com"] },
    });
    const b = await setupPipeline(u, { destination: { destinationType: "devnull" } });
    const strict = await setupPipeline(u, {
      destination: { destinationType: "devnull" },
      streamData: { domains: ["strict.shop.com"], strict: true },
    });
    const post = (url: string) => t.request(url, { method: "POST", json: { type: "page" } });

    assert.equal((await expectJson(await post("http://events.shop.com/api/s/page"), 200)).ok, true);
    assert.equal(
      (await expectJson(await post(`http://${b.streamId}.data.example.io/api/s/p`), 200)).ok,
      true,
    );
    const serverKeyless = await post("http://events.shop.com/api/s/s2s/page");
    assert.equal((await expectJson(serverKeyless, 200)).ok, true, "s2s keyless uses domains too");
    const noMatch = await expectJson(await post("http://unknown.shop.com/api/s/page"), 200);
    assert.match(noMatch.error, /^Missing write key/, "three streams: no sole stream to fall back on");
    const toStrict = await expectJson(await post("http://strict.shop.com/api/s/page"), 200);
    assert.equal(toStrict.ok, false, "a strict stream is never found without a key");
    const strictSlug = await post(`http://${strict.streamId}.data.example.io/api/s/page`);
    assert.equal((await expectJson(strictSlug, 200)).ok, false);

    assert.deepEqual(await stored(t), [
      { stream: a.streamId, type: "browser" },
      { stream: b.streamId, type: "browser" },
      { stream: a.streamId, type: "s2s" },
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("a sole non-strict stream takes keyless browser events and pixels, but not keyless server events", async () => {
  const t = await app();
  try {
    const s = await setupPipeline(await t.user(), {
      destination: { destinationType: "devnull" },
      streamData: { authorizedJavaScriptDomains: "shop.example.com" },
    });
    const ok = await t.request("/api/s/track", {
      method: "POST",
      headers: { origin: "https://shop.example.com" },
      json: { event: "Keyless" },
    });
    assert.equal((await expectJson(ok, 200)).ok, true);
    const refused = await t.request("/api/s/track", {
      method: "POST",
      headers: { origin: "https://other.example.com" },
      json: { event: "Keyless" },
    });
    assert.match((await expectJson(refused, 200)).error, /Origin other\.example\.com is not authorized/);
    const s2s = await t.request("/api/s/s2s/track", { method: "POST", json: { event: "Keyless" } });
    assert.equal(s2s.status, 401, "Jitsu's s2s locators have no sole stream");
    const px = await t.request("/api/px/track?event=Pixel&userId=u-9");
    assert.equal(px.status, 200);
    assert.equal(px.headers.get("content-type"), "image/gif");
    assert.equal(new TextDecoder().decode((await px.arrayBuffer()).slice(0, 6)), "GIF89a");
    assert.equal(px.headers.get("cache-control"), "no-cache, no-store, must-revalidate");
    assert.deepEqual((await stored(t)).map((r) => r.stream), [s.streamId, s.streamId]);
  } finally {
    await t.close();
  }
});

Deno.test("a strict sole stream takes nothing without a key", async () => {
  const t = await app();
  try {
    await setupPipeline(await t.user(), {
      destination: { destinationType: "devnull" },
      streamData: { strict: true },
    });
    const res = await expectJson(await t.request("/api/s/page", { method: "POST", json: {} }), 200);
    assert.match(res.error, /^Missing write key/);
    const px = await expectJson(await t.request("/api/px/page"), 200);
    assert.equal(px.ok, false);
    assert.equal((await stored(t)).length, 0);
  } finally {
    await t.close();
  }
});
