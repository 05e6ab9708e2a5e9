/**
 * The app routes with a TrieRouter because that is what Hono's default router (SmartRouter) picks for these
 * routes anyway: if a change of routes made the default pick another router, this says so.
 */
import assert from "node:assert/strict";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { testApp } from "../_helpers/app.ts";

Deno.test("createApp() routes with the router Hono's default picks for its routes, with the same matches", async () => {
  const t = await testApp();
  try {
    assert.ok(t.app.router instanceof TrieRouter);
    const smart = new SmartRouter<unknown>({ routers: [new RegExpRouter(), new TrieRouter()] });
    // As Hono adds them: the handler with its route (what `routePath()` reads for the request log).
    for (const r of t.app.routes) smart.add(r.method, r.path, [r.handler, r]);
    const requests: [string, string][] = [
      ["GET", "/healthz"],
      ["POST", "/api/s/s2s/track"],
      ["GET", "/api/workspace"],
      ["POST", "/api/ws1/config/destination/test"],
      ["GET", "/api/ws1/config/destination/d1"],
      ["POST", "/mcp"],
      ["GET", "/ws1"],
      ["GET", "/no/such/path"],
    ];
    for (const [method, path] of requests) {
      const ours = t.app.router.match(method, path);
      const theirs = smart.match(method, path);
      assert.ok(ours[0].length > 0, `${method} ${path} matches something (at least the request log)`);
      assert.deepEqual(ours, theirs, `${method} ${path}`);
    }
    assert.equal(smart.name, "SmartRouter + TrieRouter");
  } finally {
    await t.close();
  }
});
