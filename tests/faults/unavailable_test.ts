import assert from "node:assert/strict";
import type { Db } from "../../src/store/db.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { callTool, rpc } from "../mcp/rpc.ts";

/** A store that runs on `real` until `away()`, then on a server that refuses connections, until `back()`. */
async function switchableStore() {
  const real = await testPostgres();
  // Port 1 on loopback: nothing listens, every connect is refused at once (ECONNREFUSED).
  const refused = openPostgres("postgres://postgres@127.0.0.1:1/none", { max: 1, statementMax: 1 });
  let current: Db = real;
  const db: Db = {
    driver: "postgres",
    query: (text, params) => current.query(text, params),
    exec: (text) => current.exec(text),
    transaction: (fn) => current.transaction(fn),
    listen: (channel, onMessage, onListen) => real.listen(channel, onMessage, onListen),
    notify: (channel, payload) => current.notify(channel, payload),
    async close() {
      await refused.close();
      await real.close();
    },
  };
  return { db, away: () => current = refused, back: () => current = real };
}

Deno.test("[postgres] while the database is away REST and ingest answer 503 with Retry-After, MCP an isError result; all work again after", async () => {
  const store = await switchableStore();
  const t = await testApp({ db: store.db, env: { API_KEY_CACHE_SECONDS: "60" } });
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const created = await expectJson(
      await t.request(`/api/${ws}/config/stream`, {
        method: "POST",
        headers: { authorization: u.auth },
        json: { name: "s" },
      }),
      201,
    );
    const track = () =>
      t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": created.writeKey },
        json: { type: "track", event: "e" },
      });
    await expectJson(await track(), 200);
    store.away();

    const list = await t.request("/api/workspace", { headers: { authorization: u.auth } });
    assert.equal(list.status, 503);
    assert.equal(list.headers.get("retry-after"), "5");
    const body = await list.json();
    assert.equal(body.error.code, "database_unavailable");
    assert.match(body.error.message, /database is unavailable.*ECONNREFUSED.*try again in 5 seconds/);

    const write = await t.request(`/api/${ws}/config/stream`, {
      method: "POST",
      headers: { authorization: u.auth },
      json: { name: "t" },
    });
    assert.equal(write.status, 503);
    assert.equal(write.headers.get("retry-after"), "5");
    await write.body?.cancel();

    const ingest = await track();
    assert.equal(ingest.status, 503);
    assert.equal(ingest.headers.get("retry-after"), "5");
    assert.equal(ingest.headers.get("access-control-allow-origin"), "*");
    const ingestBody = await ingest.json();
    assert.equal(ingestBody.ok, false);
    assert.match(ingestBody.error, /database is unavailable/);

    // Authentication needs the database too: a JSON-RPC error with 503 and Retry-After.
    const auth = await rpc(t, u.auth, "tools/call", { name: "list_workspaces", arguments: {} });
    assert.equal(auth.status, 503);
    assert.equal(auth.headers.get("retry-after"), "5");
    const rpcBody = await auth.json();
    assert.equal(rpcBody.jsonrpc, "2.0");
    assert.match(rpcBody.error.message, /database is unavailable/);

    // With the key cached (authenticated a moment ago), the tool runs and reports an isError result.
    store.back();
    await callTool(t, u.auth, "list_workspaces");
    store.away();
    const tool = await callTool(t, u.auth, "list_workspaces");
    assert.equal(tool.isError, true);
    assert.match(tool.content[0].text, /database is unavailable.*try again in 5 seconds/);

    const health = await t.request("/healthz");
    assert.equal(health.status, 503);
    await health.body?.cancel();
    assert.ok(!t.logLines.some((l) => /unhandled error/.test(JSON.stringify(l))), "no 500 was logged");

    store.back();
    await expectJson(await t.request("/api/workspace", { headers: { authorization: u.auth } }), 200);
    await expectJson(await track(), 200);
    assert.equal((await callTool(t, u.auth, "list_workspaces")).isError, undefined);
  } finally {
    await t.close();
  }
});
