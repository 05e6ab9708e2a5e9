import assert from "node:assert/strict";
import { expectJson, testApp } from "../_helpers/app.ts";

Deno.test("POST /api/{ws}/function/run runs code on a sample event and saves nothing", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const res = await t.request(`/api/${u.workspace.id}/function/run`, {
      method: "POST",
      headers: { authorization: u.auth },
      json: {
        code: `export default async function (event, ctx) {
  ctx.log.info("seen", event.event);
  const n = (await ctx.store.get("count")) ?? 0;
  await ctx.store.set("count", n + 1);
  return { ...event, tagged: ctx.props.tag };
}`,
        event: { type: "track", event: "Signed Up" },
        props: { tag: "t1" },
        store: { count: 41 },
      },
    });
    const body = await expectJson(res, 200);
    assert.deepEqual(body.result, { type: "track", event: "Signed Up", tagged: "t1" });
    assert.equal(body.dropped, false);
    assert.equal(body.error, null);
    assert.deepEqual(body.store, { count: 42 });
    assert.equal(body.logs.length, 1);
    assert.equal(body.logs[0].message, "seen");
    assert.deepEqual(body.logs[0].args, ["Signed Up"]);
    const rows = await t.deps.db.query<{ n: number }>("select count(*)::int as n from events_log");
    assert.equal(Number(rows[0].n), 0, "a test run writes no Live Events");
  } finally {
    await t.close();
  }
});

Deno.test("POST /api/{ws}/function/run reports drops, errors with line numbers, and timeouts", async () => {
  const t = await testApp({ env: { FUNCTIONS_TIMEOUT_MS: "300" } });
  try {
    const u = await t.user();
    const run = (code: string) =>
      t.request(`/api/${u.workspace.id}/function/run`, {
        method: "POST",
        headers: { authorization: u.auth },
        json: { code, event: { type: "page" } },
      });
    const dropped = await expectJson(await run(`export default () => "drop"`), 200);
    assert.equal(dropped.dropped, true);
    assert.equal(dropped.result, null);

    const thrown = await expectJson(
      await run(`export default function (e) {\n  throw new Error("nope");\n}`),
      200,
    );
    assert.equal(thrown.error.message, "nope");
    assert.equal(thrown.error.line, 2);
    assert.deepEqual(thrown.result, { type: "page" }, "a plain throw leaves the event unchanged");

    const loop = await expectJson(await run(`export default function () { while (true) {} }`), 200);
    assert.equal(loop.error.name, "TimeoutError");
    assert.match(loop.error.message, /300 ms/);
  } finally {
    await t.close();
  }
});

Deno.test("POST /api/{ws}/function/run rejects bad input with 400s and other workspaces with 404", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const other = await t.user();
    const post = (ws: string, body: unknown, raw?: string) =>
      t.request(`/api/${ws}/function/run`, {
        method: "POST",
        headers: { authorization: u.auth, "content-type": "application/json" },
        body: raw ?? JSON.stringify(body),
      });
    const noCode = await expectJson(await post(u.workspace.id, { event: {} }), 400);
    assert.match(noCode.error.message, /give `code` or the `functionId`/);
    const noEvent = await expectJson(await post(u.workspace.id, { code: "export default () => {}" }), 400);
    assert.match(noEvent.error.message, /^Cannot run function: event/);
    const badJson = await expectJson(await post(u.workspace.id, null, '{"code": '), 400);
    assert.match(badJson.error.message, /Malformed JSON/);
    const notMine = await post(other.workspace.id, { code: "export default () => {}", event: {} });
    assert.equal(notMine.status, 404);
    const anon = await t.request(`/api/${u.workspace.id}/function/run`, { method: "POST", json: {} });
    assert.equal(anon.status, 401);
  } finally {
    await t.close();
  }
});
