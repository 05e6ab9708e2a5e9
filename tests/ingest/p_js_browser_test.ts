/**
 * The browser script in a real Chromium: a page served from another origin (a second local port) loads
 * `<PUBLIC_URL>/p.js` with `data-write-key`, queues a callback in `window.jitsuQ`, and calls
 * `jitsu.track`; the page view and the track reach a webhook destination through the pipeline. The
 * stream allows only the page's origin (authorizedJavaScriptDomains).
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
