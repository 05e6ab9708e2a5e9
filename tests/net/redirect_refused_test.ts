/**
 * Each server-side fetch for someone else (Functions' ctx.fetch, webhook destinations, OAuth client
 * metadata documents) refuses a redirect from an allowed address to a private or metadata one.
 */
import assert from "node:assert/strict";
import type { WriteBatch } from "../../src/destinations/driver.ts";
import { webhookDriver } from "../../src/destinations/webhook.ts";
import { memoryLogger } from "../../src/log.ts";
import { fetchClientDocument } from "../../src/oauth/client_metadata_document.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import { guardedFetch } from "../../src/sandbox/guarded_fetch.ts";
import { Sandbox } from "../../src/sandbox/sandbox.ts";
import { routedFetch, tableResolver } from "./_helpers.ts";

/** 6to4 wrapping 169.254.169.254: a metadata address that a range check on the prefix alone lets through. */
const METADATA_6TO4 = "http://[2002:a9fe:a9fe::]/latest/meta-data/";

/** A local server whose every path redirects to `location`; `hits` counts the requests it got. */
function redirectingServer(location: string) {
  const hits = { n: 0 };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    hits.n++;
    return new Response(null, { status: 302, headers: { location } });
  });
  return { server, hits, url: `http://127.0.0.1:${server.addr.port}/start` };
}

function countingServer() {
  const hits = { n: 0 };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    hits.n++;
    return new Response("reached");
  });
  return { server, hits, url: `http://127.0.0.1:${server.addr.port}/` };
}

Deno.test("ctx.fetch in a Function refuses a redirect to cloud metadata even with FUNCTIONS_ALLOW_PRIVATE_NETWORK", async () => {
  const r = redirectingServer(METADATA_6TO4);
  const sandbox = new Sandbox({
    timeoutMs: 5000,
    memoryMb: 64,
    allowPrivateNetwork: true,
    log: memoryLogger(),
  });
  try {
    const out = await sandbox.runChain({
      workspaceId: "ws1",
      functions: [{
        id: "udf.f",
        code: `export default async function (e, ctx) {
  try { return { status: (await ctx.fetch(${JSON.stringify(r.url)})).status }; }
  catch (err) { return { error: err.message }; }
}`,
      }],
      event: { type: "track" },
      ctx: {
        props: {},
        headers: {},
        source: { id: "s", type: "browser" },
        destination: { id: "d", type: "webhook" },
        connection: { id: "c" },
        workspace: { id: "ws1" },
        receivedAt: "2026-01-01T00:00:00.000Z",
        retries: 0,
      },
      store: memoryFunctionStore(),
    });
    assert.match(String(out.events[0].error), /2002:a9fe:a9fe:: is a cloud metadata address/);
    assert.equal(r.hits.n, 1, "the first hop was fetched, the redirect was not");
    assert.equal(out.logs[0].type, "http");
    assert.equal(out.logs[0].level, "error");
  } finally {
    await sandbox.close();
    await r.server.shutdown();
  }
});

Deno.test("ctx.fetch refuses a public host's redirect to a private address and names the setting", async () => {
  const r = redirectingServer("http://10.0.0.1/admin");
  try {
    const routed = routedFetch("api.example", r.server.addr.port);
    const res = await guardedFetch("http://api.example/start", {}, "udf.f", {
      allowPrivateNetwork: false,
      timeoutMs: 2000,
      resolve: tableResolver({ "api.example": ["93.184.216.34"] }),
      fetch: routed.fetch,
    });
    assert.equal(res.reply, undefined);
    assert.match(
      res.error!,
      /10\.0\.0\.1 is a non-public address \(private network 10\.0\.0\.0\/8\); set FUNCTIONS_ALLOW_PRIVATE_NETWORK=true/,
    );
    assert.deepEqual(routed.asked, ["http://api.example/start"]);
  } finally {
    await r.server.shutdown();
  }
});

function batch(url: string): WriteBatch {
  return {
    events: [{ n: 1 }],
    destination: { id: "d1", type: "webhook", workspaceId: "ws", credentials: { url } },
    connection: { id: "c1", streamId: "s1", mode: "stream", options: {} },
    log: memoryLogger(),
    signal: new AbortController().signal,
  };
}

Deno.test("webhook driver never follows a redirect, to metadata or to another private address", async () => {
  const target = countingServer();
  const toMetadata = redirectingServer(METADATA_6TO4);
  const toPrivate = redirectingServer(target.url);
  try {
    for (const from of [toMetadata, toPrivate]) {
      const [r] = await webhookDriver().write(batch(from.url));
      assert.deepEqual([r.status, r.retryable], ["FAILED", false]);
      assert.match(r.error!, /^Webhook answered 302 \(a redirect\): redirects are not followed/);
      const probe = await webhookDriver().test!({ url: from.url }, { signal: new AbortController().signal });
      assert.equal(probe.ok, false, "the connection test reports the redirect deliveries would fail on");
      assert.match(probe.error!, /redirects are not followed/);
    }
    assert.equal(target.hits.n, 0, "the redirect target was never contacted");
    const [direct] = await webhookDriver({ allowPrivateNetwork: false }).write(batch(target.url));
    assert.match(direct.error!, /127\.0\.0\.1 is a non-public address \(loopback 127\.0\.0\.0\/8\)/);
  } finally {
    await Promise.all([target.server.shutdown(), toMetadata.server.shutdown(), toPrivate.server.shutdown()]);
  }
});

Deno.test("fetchClientDocument() refuses a document URL that redirects to a private address", async () => {
  const clientId = "https://client.example/oauth/metadata.json";
  const r = redirectingServer("http://10.0.0.1/metadata.json");
  try {
    const routed = routedFetch("client.example", r.server.addr.port);
    await assert.rejects(
      fetchClientDocument(clientId, {
        resolve: tableResolver({ "client.example": ["93.184.216.34"] }),
        fetch: routed.fetch,
      }),
      /Client metadata document .*: answered HTTP 302, a redirect: redirects are not followed/,
    );
    assert.deepEqual(routed.asked, [clientId]);
    await assert.rejects(
      fetchClientDocument(clientId, {
        resolve: tableResolver({ "client.example": ["2002:c0a8:101::"] }),
        fetch: routed.fetch,
      }),
      /its host is not a public address: client\.example resolves to a non-public address \(2002:c0a8:101::: 6to4/,
    );
    assert.equal(routed.asked.length, 1, "a host behind 6to4 of a private address is never fetched");
  } finally {
    await r.server.shutdown();
  }
});
