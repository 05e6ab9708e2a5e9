import assert from "node:assert/strict";
import { expectJson, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";

async function streamWithKey(t: Awaited<ReturnType<typeof testApp>>, auth: string, ws: string) {
  const res = await t.request(`/api/${ws}/config/stream`, {
    method: "POST",
    headers: { authorization: auth },
    json: { name: "site" },
  });
  const stream = await expectJson(res, 201);
  return stream.writeKey as string;
}

Deno.test("an event with NUL characters or unpaired surrogates is stored cleaned and fails nobody else's request", async () => {
  const t = await testApp({ db: await testPostgres() });
  try {
    const victim = await t.user();
    const attacker = await t.user();
    const victimKey = await streamWithKey(t, victim.auth, victim.workspace.id);
    const attackerKey = await streamWithKey(t, attacker.auth, attacker.workspace.id);
    const send = (key: string, body: string) =>
      t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": key, "content-type": "application/json" },
        body,
      });
    const poison = '{"type":"track","event":"a\\u0000b","properties":{"x\\u0000":"\\ud800"}}';
    // Only an upper-case escape, nothing else to clean: the body must still be cleaned.
    const poison2 = '{"type":"track","event":"b","properties":{"y":"\\uDC00z"}}';
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, () => send(victimKey, '{"type":"track","event":"ok"}')),
      send(attackerKey, poison),
      send(attackerKey, poison2),
    ]);
    const statuses = responses.map((r) => r.status);
    for (const r of responses) await r.body?.cancel();
    assert.deepEqual(statuses, Array(12).fill(200), `statuses: ${statuses}`);
    const rows = await t.deps.db.query<{ j: string }>(
      "select message::text as j from events_log where workspace_id = $1 and type = 'incoming'",
      [attacker.workspace.id],
    );
    assert.equal(rows.length, 2);
    const all = rows.map((r) => r.j).join("\n");
    assert.ok(all.includes("a\\ufffdb") || all.includes("a\ufffdb"), all);
    assert.ok(all.includes("\\ufffdz") || all.includes("\ufffdz"), all);
  } finally {
    await t.close();
  }
});

Deno.test("NUL bytes in ids, keys and searches are a 400, never a 500", async () => {
  const t = await testApp({ db: await testPostgres() });
  try {
    const u = await t.user();
    const h = { authorization: u.auth };
    for (const path of [`/api/workspace/a%00b`, `/api/${u.workspace.id}/config/stream/a%00b`]) {
      const res = await t.request(path, { headers: h });
      assert.ok([400, 404].includes(res.status), `${path}: ${res.status}`);
      await res.body?.cancel();
    }
    const key = await t.request("/api/s/s2s/track?writekey=a%00b:c", {
      method: "POST",
      body: '{"type":"track","event":"x"}',
    });
    assert.ok(key.status < 500, `writekey with NUL: ${key.status}`);
    await key.body?.cancel();
    const offset = await t.request("/api/workspace?offset=99999999999999999999", { headers: h });
    assert.equal(offset.status, 400);
    await offset.body?.cancel();
    assert.ok(!t.logLines.some((l) => l.includes('"status":500')), "no 500 was logged");
  } finally {
    await t.close();
  }
});
