/**
 * Ingest when two workspaces use the same ids: a write key id or a stream id another workspace uses is
 * free, and each key, origin rule and data host leads to the right workspace's stream.
 */
import assert from "node:assert/strict";
import { expectJson, testApp, type TestUser } from "../_helpers/app.ts";
import { basicAuth } from "../pipeline/fixtures.ts";
import { client, expectStatus, shape, twoWorkspaces } from "../resources/_client.ts";

Deno.test("a write key id another workspace uses is free: each workspace's secret opens its own stream", async () => {
  await twoWorkspaces(async (t, a, b) => {
    const keyOf = (secret: string) => ({ privateKeys: [{ id: "server-key", plaintext: secret }] });
    const ca = client(t, a);
    const cb = client(t, b);
    const sa = expectStatus(
      await ca.cfg("POST", "stream", { name: "A", ...keyOf("a-secret-0123456789") }),
      201,
    );
    const taken = await cb.cfg("POST", "stream", { name: "B", ...keyOf("b-secret-0123456789") });
    const unused = await cb.cfg("POST", "stream", {
      name: "B",
      privateKeys: [{ id: "fresh-key", plaintext: "c-secret-0123456789" }],
    });
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
    assert.deepEqual(shape(taken.body), shape(unused.body));
    const sb = taken.body;

    const send = async (key: string) =>
      await t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { authorization: basicAuth(key) },
        json: { event: "e", messageId: crypto.randomUUID() },
      });
    for (
      const [key, u, stream] of [["a-secret-0123456789", a, sa], ["b-secret-0123456789", b, sb]] as const
    ) {
      const res = await send(`server-key:${key}`);
      assert.equal(res.status, 200, await res.text());
      const page = expectStatus(
        await client(t, u).call("GET", `/api/${u.workspace.id}/log/incoming/${stream.id}`),
        200,
      );
      const events = Array.isArray(page) ? page : page.events ?? page.entries;
      assert.equal(events.length, 1, `one event in ${u.workspace.id}`);
    }
    const wrong = await send("server-key:not-the-secret-000");
    assert.equal(wrong.status >= 400 && wrong.status < 500, true);
    await wrong.body?.cancel();

    // B dropping its key leaves A's key with the same id working.
    expectStatus(await cb.cfg("PUT", `stream/${sb.id}`, { privateKeys: [] }), 200);
    t.deps.writeKeys.clear(); // what the cache's few seconds would do
    assert.equal((await send("server-key:b-secret-0123456789")).status >= 400, true);
    const stillA = await send("server-key:a-secret-0123456789");
    assert.equal(stillA.status, 200);
    await stillA.body?.cancel();
    assert.equal(expectStatus(await ca.cfg("GET", `stream/${sa.id}`), 200).privateKeys.length, 1);
  });
});

Deno.test("ingest routes a key to its own workspace's stream when another workspace has a stream with that id", async () => {
  await twoWorkspaces(async (t, a, b) => {
    const make = async (u: TestUser, label: string) =>
      expectStatus(
        await client(t, u).cfg("POST", "stream", {
          id: "web",
          name: label,
          authorizedJavaScriptDomains: `${label}.example.com`,
          publicKeys: [{ id: `bk-${label}`, plaintext: `${label}-browser-secret-0123` }],
        }),
        201,
      );
    await make(a, "a");
    await make(b, "b");
    const send = async (label: string, origin: string) =>
      await expectJson(
        await t.request("/api/s/track", {
          method: "POST",
          headers: { "x-write-key": `bk-${label}:${label}-browser-secret-0123`, origin },
          json: { event: `from ${label}` },
        }),
        200,
      );
    // Each key meets its own stream's origin rule, whichever was read first.
    for (const label of ["a", "b", "a", "b"]) {
      assert.equal((await send(label, `https://${label}.example.com`)).ok, true, label);
    }
    assert.equal((await send("b", "https://a.example.com")).ok, false);
    for (const u of [a, b]) {
      const page = expectStatus(
        await client(t, u).call("GET", `/api/${u.workspace.id}/log/incoming/web`),
        200,
      );
      const events = Array.isArray(page) ? page : page.events ?? page.entries;
      assert.equal(events.length, 2, `two events in ${u.workspace.id}`);
    }
  });
});

Deno.test("a data host <id>.<host> keeps going to the oldest stream with that id when a later workspace picks it", async () => {
  const t = await testApp({ env: { PUBLIC_URL: "https://data.example.io" } });
  try {
    const a = await t.user();
    const b = await t.user();
    expectStatus(await client(t, a).cfg("POST", "stream", { id: "site", name: "A" }), 201);
    expectStatus(await client(t, b).cfg("POST", "stream", { id: "site", name: "B" }), 201);
    const res = await t.request("http://site.data.example.io/api/s/page", { method: "POST", json: {} });
    assert.equal((await expectJson(res, 200)).ok, true);
    for (const [u, n] of [[a, 1], [b, 0]] as const) {
      const page = expectStatus(
        await client(t, u).call("GET", `/api/${u.workspace.id}/log/incoming/site`),
        200,
      );
      const events = Array.isArray(page) ? page : page.events ?? page.entries;
      assert.equal(events.length, n, u.workspace.id);
    }
  } finally {
    await t.close();
  }
});
