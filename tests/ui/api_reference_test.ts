import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";

Deno.test("/api/docs is an HTML page whose script and styles all come from Sluice itself", async () => {
  const t = await testApp();
  try {
    const res = await t.request("/api/docs");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/html/);
    const csp = res.headers.get("content-security-policy")!;
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /https?:/);
    const html = await res.text();
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.doesNotMatch(html, /(https?:)?\/\/[a-z0-9]/i, "no external URL in the page");
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== "data:,");
    assert.ok(urls.some((u) => /swagger-ui-bundle\.js/.test(u)), "loads the bundle");
    for (const url of urls) {
      assert.ok(url.startsWith("/api/docs/assets/"), url);
      const asset = await t.request(url);
      const body = await asset.text();
      assert.equal(asset.status, 200, url);
      assert.ok(body.length > 0, url);
    }
  } finally {
    await t.close();
  }
});

Deno.test("/api/docs/assets serves the Swagger UI bundle as JavaScript cached for a year; unknown names 404", async () => {
  const t = await testApp();
  try {
    const js = await t.request("/api/docs/assets/swagger-ui-bundle.js?v=1");
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type")!, /^text\/javascript/);
    assert.match(js.headers.get("cache-control")!, /max-age=31536000/);
    assert.match(js.headers.get("cache-control")!, /immutable/);
    const text = await js.text();
    assert.ok(text.length > 500_000, `bundle of ${text.length} characters`);
    assert.match(text, /SwaggerUIBundle/);
    const css = await t.request("/api/docs/assets/swagger-ui.css");
    assert.match(css.headers.get("content-type")!, /^text\/css/);
    await css.body?.cancel();
    const init = await (await t.request("/api/docs/assets/init.js")).text();
    assert.match(init, /url:"\/api\/openapi\.json"/);
    assert.match(init, /validatorUrl:null/, "no badge fetched from the validator's site");
    for (const name of ["nope.js", "__proto__", "..%2Fdeno.json"]) {
      const res = await t.request(`/api/docs/assets/${name}`);
      assert.equal(res.status, 404, name);
      await res.body?.cancel();
    }
  } finally {
    await t.close();
  }
});
