import assert from "node:assert/strict";
import { devnullDriver } from "../../src/destinations/devnull.ts";
import type { WriteBatch } from "../../src/destinations/driver.ts";
import { publicTarget, renderPayload, webhookDriver } from "../../src/destinations/webhook.ts";
import { memoryLogger } from "../../src/log.ts";

function batch(
  credentials: Record<string, unknown>,
  events: Record<string, unknown>[],
  options = {},
): WriteBatch {
  return {
    events,
    destination: { id: "d1", type: "webhook", workspaceId: "ws", credentials },
    connection: { id: "c1", streamId: "s1", mode: "stream", options },
    log: memoryLogger(),
    signal: new AbortController().signal,
  };
}

Deno.test("webhook driver sends each event with the method and headers, and reports per event", async () => {
  const got: { method: string; auth: string | null; ct: string | null; body: string }[] = [];
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = await req.text();
    got.push({
      method: req.method,
      auth: req.headers.get("authorization"),
      ct: req.headers.get("content-type"),
      body,
    });
    const status = Number(JSON.parse(body).answer ?? 200);
    return new Response(status === 200 ? "ok" : "went wrong", { status });
  });
  const url = `http://127.0.0.1:${server.addr.port}/in?token=secret`;
  const results = await webhookDriver().write(batch(
    { url, method: "PUT", headers: ["Authorization: Bearer abc"] },
    [{ n: 1 }, { answer: 500 }, { answer: 404 }, { answer: 429 }],
  ));
  assert.deepEqual(results.map((r) => [r.status, r.retryable]), [
    ["SUCCESS", undefined],
    ["FAILED", true],
    ["FAILED", false],
    ["FAILED", true],
  ]);
  assert.match(results[1].error!, /^Webhook answered 500 .*: went wrong$/);
  assert.equal(
    results[0].target,
    `http://127.0.0.1:${server.addr.port}/in`,
    "no query string (tokens) in Live Events",
  );
  assert.equal(got.length, 4);
  assert.ok(got.every((g) => g.method === "PUT" && g.auth === "Bearer abc" && g.ct === "application/json"));
  assert.deepEqual(JSON.parse(got.find((g) => g.body.includes('"n"'))!.body), { n: 1 });
});

Deno.test("webhook driver: timeouts and refused connections are retryable; a bad URL is not", async () => {
  await using slow = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async () => {
    await new Promise((r) => setTimeout(r, 800));
    return new Response("late");
  });
  const [timedOut] = await webhookDriver().write(
    batch({ url: `http://127.0.0.1:${slow.addr.port}/`, timeoutMs: 150 }, [{}]),
  );
  assert.equal(timedOut.status, "FAILED");
  assert.equal(timedOut.retryable, true);
  assert.match(timedOut.error!, /no answer within 150 ms/);
  const [refused] = await webhookDriver().write(batch({ url: "http://127.0.0.1:1/" }, [{}]));
  assert.equal(refused.retryable, true);
  assert.match(refused.error!, /^Cannot reach webhook/);
  const [bad] = await webhookDriver().write(batch({ url: "ftp://x" }, [{}]));
  assert.equal(bad.retryable, false);
  const [badMethod] = await webhookDriver().write(
    batch({ url: `http://127.0.0.1:${slow.addr.port}/`, method: "POST /x HTTP/1.1\r\nX-Injected: 1" }, [{}]),
  );
  assert.equal(badMethod.retryable, false);
  assert.match(badMethod.error!, /is not an HTTP method/);
});

Deno.test("webhook driver fills a custom payload template with the event and functionsEnv", async () => {
  assert.equal(
    renderPayload('{"text": {{ EVENT }}, "k": "{{ env.KEY }}", "none": "{{env.MISSING}}"}', { a: 1 }, {
      KEY: "v",
    }),
    '{"text": {"a":1}, "k": "v", "none": ""}',
  );
  let body = "";
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    body = await req.text();
    return new Response("ok");
  });
  const [r] = await webhookDriver().write(batch(
    {
      url: `http://127.0.0.1:${server.addr.port}/`,
      customPayload: true,
      payload: '{"wrapped": {{ EVENT }}, "env": "{{ env.X }}"}',
    },
    [{ e: 1 }],
    { functionsEnv: { X: "y" } },
  ));
  assert.equal(r.status, "SUCCESS");
  assert.deepEqual(JSON.parse(body), { wrapped: { e: 1 }, env: "y" });
  assert.equal(
    r.mappedData,
    '{"wrapped": {"e":1}, "env": "__MASKED_BY_JITSU__"}',
    "Live Events show the template with env values masked, never the filled-in secret",
  );
  assert.equal(publicTarget("https://user:pw@h.example:8443/p?q=1"), "https://h.example:8443/p");
});

Deno.test("webhook driver never reaches cloud metadata, refuses private addresses when told, does not follow redirects", async () => {
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    if (new URL(req.url).pathname === "/moved") {
      return Response.redirect("http://169.254.169.254/latest/", 302);
    }
    return new Response("x".repeat(1_000_000), { status: 500 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  for (const url of ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/"]) {
    const [meta] = await webhookDriver().write(batch({ url }, [{}]));
    assert.equal(meta.retryable, false, url);
    assert.match(meta.error!, /cloud metadata endpoints are never allowed/, url);
  }
  const [named] = await webhookDriver({ resolve: () => Promise.resolve(["169.254.169.254"]) }).write(
    batch({ url: "http://metadata.example/" }, [{}]),
  );
  assert.match(named.error!, /metadata/);
  const [nxdomain] = await webhookDriver({ resolve: () => Promise.resolve([]) }).write(
    batch({ url: "http://gone.example/" }, [{}]),
  );
  assert.equal(nxdomain.retryable, true, "a name that does not resolve may resolve later");
  const [priv] = await webhookDriver({ allowPrivateNetwork: false }).write(batch({ url: `${base}/` }, [{}]));
  assert.equal(priv.retryable, false);
  assert.match(priv.error!, /non-public address .*set DESTINATIONS_ALLOW_PRIVATE_NETWORK=true/);
  const [moved] = await webhookDriver().write(batch({ url: `${base}/moved` }, [{}]));
  assert.deepEqual([moved.status, moved.retryable], ["FAILED", false]);
  assert.match(moved.error!, /^Webhook answered 302 \(a redirect\): redirects are not followed/);
  const [big] = await webhookDriver().write(batch({ url: `${base}/` }, [{}]));
  assert.equal(big.retryable, true);
  assert.ok(big.error!.length < 400, "the answer is read only up to a few KB and cut for the message");
  const test = await webhookDriver().test!({ url: "http://169.254.169.254/" }, {
    signal: new AbortController().signal,
  });
  assert.equal(test.ok, false);
  assert.match(test.error!, /metadata/);
});

Deno.test("webhook driver: a header value with CR/LF fails without showing the value", async () => {
  const [r] = await webhookDriver().write(
    batch({ url: "http://127.0.0.1:1/", headers: ["Authorization: Bearer sec\r\nX-Evil: 1"] }, [{}]),
  );
  assert.equal(r.status, "FAILED");
  assert.equal(r.retryable, false);
  assert.equal(r.error, 'Cannot send to webhook: header "Authorization" has an invalid name or value');
});

Deno.test("devnull driver accepts and discards every event", async () => {
  const r = await devnullDriver().write(batch({}, [{}, {}, {}]));
  assert.deepEqual(r.map((x) => x.status), ["SUCCESS", "SUCCESS", "SUCCESS"]);
});
