/**
 * The browser script in a real Chromium: a page served from another origin (a second local port) loads
 * `<PUBLIC_URL>/p.js` with `data-write-key`, queues a callback in `window.jitsuQ`, and calls
 * `jitsu.track`; the page view and the track reach a webhook destination through the pipeline. The
 * stream allows only the page's origin (authorizedJavaScriptDomains). Then the tag's other attributes.
 */
import assert from "node:assert/strict";
import { startServer } from "../../src/server.ts";
import { testApp } from "../_helpers/app.ts";
import { freePort, launchChromium } from "../ui/_browser.ts";
import { setupPipeline, startReceiver } from "../pipeline/fixtures.ts";

Deno.test("p.js on a page from another origin sends the page view and jitsu.track to a webhook", async () => {
  const port = freePort();
  const sluiceUrl = `http://127.0.0.1:${port}`;
  const t = await testApp({ env: { PUBLIC_URL: sluiceUrl, PORT: String(port), PIPELINE_WORKERS: "1" } });
  const server = await startServer(t.deps, { port, hostname: "127.0.0.1" });
  const rx = startReceiver();
  // The site: another origin (localhost, another port) serving a page with the tag.
  let pageHtml = "";
  const site = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response(pageHtml, { headers: { "content-type": "text/html" } }),
  );
  const siteUrl = `http://localhost:${site.addr.port}`;
  const browser = await launchChromium();
  try {
    const s = await setupPipeline(await t.user(), {
      destination: { destinationType: "webhook", url: rx.url },
      streamData: { authorizedJavaScriptDomains: "localhost" },
    });
    pageHtml = `<!doctype html><html><head><title>Shop</title>
      <script>window.jitsuQ = window.jitsuQ || []; window.jitsuQ.push(function (j) { window.queuedRan = typeof j.track; });</script>
      <script async src="${sluiceUrl}/p.js" data-write-key="${s.browserKey}"></script>
      </head><body>shop</body></html>`;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${siteUrl}/pricing?utm_source=test`);
    await page.waitForFunction(() =>
      typeof (globalThis as unknown as { jitsu?: unknown }).jitsu === "object"
    );
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { queuedRan?: string }).queuedRan),
      "function",
    );
    await page.evaluate(() =>
      (globalThis as unknown as { jitsu: { track(n: string, p: unknown): Promise<unknown> } }).jitsu.track(
        "Signed Up",
        { plan: "pro" },
      )
    );
    await rx.waitFor(2, 20_000);
    // deno-lint-ignore no-explicit-any
    const events = rx.bodies as Record<string, any>[];
    const pageView = events.find((e) => e.type === "page");
    const track = events.find((e) => e.type === "track");
    assert.ok(pageView, `a page view arrived: ${JSON.stringify(events)}`);
    assert.ok(track, "the track arrived");
    assert.equal(track.event, "Signed Up");
    assert.equal(track.properties.plan, "pro");
    assert.equal(pageView.context.page.path, "/pricing");
    assert.equal(pageView.context.campaign?.source, "test");
    assert.equal(pageView.anonymousId, track.anonymousId, "one visitor");
    assert.match(pageView.context.userAgent, /Chrome/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await site.shutdown();
    await rx.close();
    await server.shutdown();
    await t.close();
  }
});

Deno.test("p.js reads data-namespace, data-onload, data-init-only and data-host from its tag", async () => {
  const port = freePort();
  const sluiceUrl = `http://127.0.0.1:${port}`;
  const t = await testApp({ env: { PUBLIC_URL: sluiceUrl, PORT: String(port) } });
  const server = await startServer(t.deps, { port, hostname: "127.0.0.1" });
  const posted: string[] = [];
  let pageHtml = "";
  // The site also plays the host named by data-host: it records what the script posts to it.
  const site = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const cors = {
      "access-control-allow-origin": req.headers.get("origin") ?? "*",
      "access-control-allow-credentials": "true",
      "access-control-allow-headers": "content-type, x-write-key",
    };
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    if (req.method === "POST") {
      posted.push(`${url.pathname} ${JSON.parse(await req.text()).event ?? ""}`);
      return new Response('{"ok":true}', { headers: { ...cors, "content-type": "application/json" } });
    }
    return new Response(pageHtml, { headers: { "content-type": "text/html" } });
  });
  const siteUrl = `http://localhost:${site.addr.port}`;
  const browser = await launchChromium();
  try {
    pageHtml = `<!doctype html><html><head>
      <script>function ready(a) { window.readyWith = typeof a.track; }</script>
      <script async src="${sluiceUrl}/p.js" data-write-key="bk-x:browser-secret-0123456789"
        data-namespace="analytics" data-onload="ready" data-init-only="true" data-host="${siteUrl}"></script>
      </head><body>site</body></html>`;
    const page = await browser.newPage();
    await page.goto(`${siteUrl}/`);
    await page.waitForFunction(() =>
      typeof (globalThis as unknown as { analytics?: unknown }).analytics === "object"
    );
    assert.equal(
      await page.evaluate(() => typeof (globalThis as unknown as { jitsu?: unknown }).jitsu),
      "undefined",
    );
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { readyWith?: string }).readyWith),
      "function",
    );
    await page.evaluate(() =>
      (globalThis as unknown as { analytics: { track(n: string): Promise<unknown> } }).analytics.track(
        "Hosted",
      )
    );
    assert.deepEqual(posted, ["/api/s/track Hosted"], "init-only: no page view; events go to data-host");
  } finally {
    await browser.close();
    await site.shutdown();
    await server.shutdown();
    await t.close();
  }
});
