/** `GET /api/{ws}/log/{type}[/{actorId}]`: Jitsu's Live Events path over the same service as query_events. */
import assert from "node:assert/strict";
import { appendEvents } from "../../src/events_log/events_log.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

Deno.test("GET /api/{ws}/log/{type}/{actorId} returns Jitsu's [{date, level, content}] newest first, paged by X-Next-Cursor", async () => {
  const t = await testApp();
  try {
    const u = await t.user(undefined, { slug: "acme-logs" });
    const ws = u.workspace.id;
    const base = Date.parse("2026-04-01T10:00:00Z");
    await appendEvents(t.deps.db, [
      ...Array.from({ length: 3 }, (_, i) => ({
        workspaceId: ws,
        actorId: "stream1",
        type: "incoming" as const,
        level: i === 1 ? "error" as const : "info" as const,
        timestamp: new Date(base + i * 1000),
        message: { body: `{"n":${i}}`, status: i === 1 ? "FAILED" : "SUCCESS", n: i },
      })),
      { workspaceId: ws, actorId: "stream2", type: "incoming", level: "info", message: { other: true } },
      {
        workspaceId: "elsewhere",
        actorId: "stream1",
        type: "incoming",
        level: "info",
        message: { leak: true },
      },
    ]);
    const get = (path: string) => t.request(path, { headers: { authorization: u.auth } });
    const bySlug = await expectJson(await get("/api/acme-logs/log/incoming/stream1"), 200);
    assert.equal(bySlug.length, 3, "the workspace slug works too");

    const first = await get(`/api/${ws}/log/incoming/stream1?limit=2`);
    const page1 = await expectJson(first, 200);
    assert.deepEqual(page1.map((e: { content: { n: number } }) => e.content.n), [2, 1]);
    assert.deepEqual(Object.keys(page1[0]).sort(), ["actorId", "content", "date", "id", "level", "type"]);
    assert.equal(page1[0].date, "2026-04-01T10:00:02.000Z");
    assert.equal(page1[1].level, "error");
    const cursor = first.headers.get("x-next-cursor");
    assert.ok(cursor);
    const second = await get(`/api/${ws}/log/incoming/stream1?limit=2&cursor=${cursor}`);
    assert.deepEqual((await expectJson(second, 200)).map((e: { content: { n: number } }) => e.content.n), [
      0,
    ]);
    assert.equal(second.headers.get("x-next-cursor"), null);

    const errors = await expectJson(await get(`/api/${ws}/log/incoming/stream1?levels=error`), 200);
    assert.deepEqual(errors.map((e: { content: { status: string } }) => e.content.status), ["FAILED"]);
    const errorsOnly = await expectJson(await get(`/api/${ws}/log/incoming/stream1?errorsOnly=true`), 200);
    assert.deepEqual(errorsOnly, errors);
    const range = await expectJson(
      await get(`/api/${ws}/log/incoming/stream1?start=2026-04-01T10:00:01Z&end=2026-04-01T10:00:02Z`),
      200,
    );
    assert.deepEqual(range.map((e: { content: { n: number } }) => e.content.n), [1]);
    const all = await expectJson(await get(`/api/${ws}/log/incoming`), 200);
    assert.equal(all.length, 4, "every source of the workspace, nothing from another workspace");
    assert.ok(!JSON.stringify(all).includes("leak"));
    const search = await expectJson(await get(`/api/${ws}/log/incoming?search=OTHER`), 200);
    assert.deepEqual(search.map((e: { actorId: string }) => e.actorId), ["stream2"]);
  } finally {
    await t.close();
  }
});

Deno.test("the Live Events REST path checks auth, workspace access and its query", async () => {
  const t = await testApp();
  try {
    const alice = await t.user();
    const bob = await t.user();
    const noAuth = await t.request(`/api/${alice.workspace.id}/log/incoming`);
    assert.equal(noAuth.status, 401);
    await noAuth.body?.cancel();
    const other = await expectJson(
      await t.request(`/api/${bob.workspace.id}/log/incoming`, { headers: { authorization: alice.auth } }),
      404,
    );
    assert.equal(other.error.message, `Workspace "${bob.workspace.id}" not found`);
    const badType = await expectJson(
      await t.request(`/api/${alice.workspace.id}/log/outgoing/x`, {
        headers: { authorization: alice.auth },
      }),
      400,
    );
    assert.match(badType.error.message, /^Cannot query events: type: must be one of incoming/);
    const badDate = await expectJson(
      await t.request(`/api/${alice.workspace.id}/log/incoming?start=yesterday`, {
        headers: { authorization: alice.auth },
      }),
      400,
    );
    assert.match(badDate.error.message, /start: must be an ISO 8601 date/);
    const badCursor = await expectJson(
      await t.request(`/api/${alice.workspace.id}/log/incoming?cursor=zzz`, {
        headers: { authorization: alice.auth },
      }),
      400,
    );
    assert.match(badCursor.error.message, /cursor/);
    const post = await t.request(`/api/${alice.workspace.id}/log/incoming`, {
      method: "POST",
      headers: { authorization: alice.auth },
    });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await t.close();
  }
});
