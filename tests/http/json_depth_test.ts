import assert from "node:assert/strict";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "../../src/http/json_depth.ts";
import { expectJson, type TestApp, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { callTool } from "../mcp/rpc.ts";
import { basicAuth, setupPipeline } from "../pipeline/fixtures.ts";

/** `{"a":{"a":...{"a":leaf}}}`, `levels` objects deep, as text (JSON.stringify itself recurses). */
function nested(levels: number, leaf = "1"): string {
  return '{"a":'.repeat(levels) + leaf + "}".repeat(levels);
}

const DEEP = nested(100_000);

Deno.test("nestsDeeperThan counts objects and arrays, ignoring brackets inside strings", () => {
  assert.equal(nestsDeeperThan("[[1]]", 2), false);
  assert.equal(nestsDeeperThan("[[1]]", 1), true);
  assert.equal(nestsDeeperThan('{"a":[{"b":[]}]}', 3), true);
  assert.equal(nestsDeeperThan('{"a":[{"b":[]}]}', 4), false);
  assert.equal(nestsDeeperThan('["[[[[[", "\\"[[[[", "\\\\"]', 1), false);
  assert.equal(nestsDeeperThan('["\\\\", [[1]]]', 2), true);
  assert.equal(nestsDeeperThan('"unterminated [[[', 1), false);
  assert.equal(nestsDeeperThan(nested(MAX_JSON_DEPTH)), false);
  assert.equal(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1)), true);
  assert.equal(nestsDeeperThan(DEEP), true);
  assert.equal(nestsDeeperThan("[".repeat(1_000_000)), true);
});

async function withUser(fn: (t: TestApp, u: Awaited<ReturnType<TestApp["user"]>>) => Promise<void>) {
  const t = await testApp();
  try {
    await fn(t, await t.user());
  } finally {
    await t.close();
  }
}

Deno.test("REST create and function/run answer 400 naming the depth to deep JSON, and take 64 levels", async () => {
  await withUser(async (t, u) => {
    const h = { authorization: u.auth, "content-type": "application/json" };
    const ws = u.workspace.id;
    for (
      const [path, body] of [
        [`/api/${ws}/config/function`, `{"name":"f","code":"export default (e) => e","x":${DEEP}}`],
        [`/api/${ws}/function/run`, `{"code":"export default (e) => e","event":${DEEP}}`],
      ]
    ) {
      const out = await expectJson(await t.request(path, { method: "POST", headers: h, body }), 400);
      assert.match(out.error.message, /nests deeper than 64 levels/, path);
    }
    // The body's own object is level 1, so the event may hold 63 more.
    const run = await t.request(`/api/${ws}/function/run`, {
      method: "POST",
      headers: h,
      body: `{"code":"export default (e) => e","event":${nested(MAX_JSON_DEPTH - 1)}}`,
    });
    const ran = await expectJson(run, 200);
    assert.equal(ran.error, null);
    assert.ok(!t.logLines.some((l) => l.includes('"status":500')), "no 500s were logged");
  });
});

Deno.test("MCP create_resource and run_function refuse deep JSON with a clear 400, never a 5xx", async () => {
  await withUser(async (t, u) => {
    const ws = u.workspace.id;
    for (
      const [name, args] of [
        ["create_resource", {
          workspaceId: ws,
          type: "function",
          data: { name: "f", code: "x", deep: "DEEP" },
        }],
        ["run_function", { workspaceId: ws, code: "export default (e) => e", event: "DEEP" }],
      ] as const
    ) {
      // JSON.stringify would recurse: the deep value goes in as text.
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name, arguments: args },
      })
        .replace('"DEEP"', DEEP);
      const deep = await t.request("/mcp", {
        method: "POST",
        headers: {
          authorization: u.auth,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body,
      });
      const out = await expectJson(deep, 400);
      assert.match(out.error.message, /nests deeper than 64 levels/, name);
    }
    const result = await callTool(t, u.auth, "run_function", {
      workspaceId: ws,
      code: "export default (e) => e",
      event: { type: "track", a: { b: { c: 1 } } },
    });
    assert.ok(!result.isError, JSON.stringify(result));
  });
});

async function ingestSetup(t: TestApp) {
  const u = await t.user();
  return await setupPipeline(u, { destination: { destinationType: "devnull" } });
}

Deno.test("ingest refuses events nested deeper than 64 levels on the browser and s2s endpoints", async () => {
  const t = await testApp();
  try {
    const s = await ingestSetup(t);
    for (
      const [path, headers] of [
        ["/api/s/track", { authorization: basicAuth(s.browserKey) }],
        ["/api/s/s2s/track", { "x-write-key": s.serverKey }],
      ] as const
    ) {
      const post = (props: string) =>
        t.request(path, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: `{"event":"deep","properties":${props}}`,
        });
      const refused = await post(nested(100_000));
      const text = await refused.text();
      assert.equal(refused.status, 400, `${path}: ${text}`);
      assert.match(text, /nests deeper than 64 levels/, path);
      // The event object is level 1: 63 more levels are accepted.
      await expectJson(await post(nested(MAX_JSON_DEPTH - 1)), 200);
      assert.equal((await post(nested(MAX_JSON_DEPTH))).status, 400, `${path}: 65 levels`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("ingest on PostgreSQL: deep JSON with NUL escapes is a 400, a NUL within the depth limit is stored cleaned", async () => {
  const t = await testApp({ db: await testPostgres() });
  try {
    const s = await ingestSetup(t);
    const post = (props: string) =>
      t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey, "content-type": "application/json" },
        body: `{"event":"nul","properties":${props}}`,
      });
    const deep = await post(nested(100_000, '"a\\u0000b"'));
    const text = await deep.text();
    assert.equal(deep.status, 400, text);
    assert.match(text, /nests deeper than 64 levels/);
    await expectJson(await post(nested(MAX_JSON_DEPTH - 1, '"a\\u0000b"')), 200);
    const rows = await t.deps.db.query<{ j: string }>(
      "select message::text as j from events_log where type = 'incoming'",
    );
    assert.equal(rows.length, 1);
    assert.ok(rows[0].j.includes("a\\ufffdb") || rows[0].j.includes("a\ufffdb"), rows[0].j);
    assert.ok(!t.logLines.some((l) => l.includes('"status":500')), "no 500s were logged");
  } finally {
    await t.close();
  }
});
