import assert from "node:assert/strict";
import { type TestApp, testApp, type TestUser } from "../_helpers/app.ts";
import { type Client, client, expectStatus, FUNCTION_CODE } from "./_client.ts";

const HOOK = {
  name: "Hook",
  destinationType: "webhook",
  url: "https://hooks.example.com/in",
  headers: ["Authorization: Bearer hook-token-77", "X-Team: growth"],
};

async function setup(t: TestApp, u: TestUser) {
  const c = client(t, u);
  const stream = expectStatus(await c.cfg("POST", "stream", { name: "Site" }), 201);
  const dest = expectStatus(await c.cfg("POST", "destination", HOOK), 201);
  const fn = expectStatus(await c.cfg("POST", "function", { name: "Enrich", code: FUNCTION_CODE }), 201);
  return { c, stream, dest, fn };
}

function connectionBody(s: { stream: { id: string }; dest: { id: string }; fn: { id: string } }) {
  return {
    fromId: s.stream.id,
    toId: s.dest.id,
    data: { functions: [{ functionId: s.fn.id }], functionsEnv: { GREETING: "env-secret-42" } },
  };
}

Deno.test("a connection links a stream to a destination with functions; defaults come from the destination type", async () => {
  const t = await testApp();
  try {
    const s = await setup(t, await t.user());
    const conn = expectStatus(await s.c.cfg("POST", "connection", connectionBody(s)), 201);
    assert.equal(conn.type, "push");
    assert.equal(conn.name, "Site -> Hook");
    assert.equal(conn.fromId, s.stream.id);
    assert.equal(conn.data.mode, "stream", "webhook's default mode");
    assert.equal(conn.data.batchSize, 100);
    assert.deepEqual(conn.data.functionsEnv, { GREETING: "__MASKED_BY_JITSU__" });
    assert.equal(s.dest.headers[0], "Authorization: __MASKED_BY_JITSU__", "header names stay visible");
    assert.equal(s.dest.headers[1], "X-Team: __MASKED_BY_JITSU__");

    const dup = expectStatus(await s.c.cfg("POST", "connection", connectionBody(s)), 409);
    assert.match(
      dup.error.message,
      /^Cannot create connection: a push connection from ".+" to ".+" already exists/,
    );

    // Sending the masked env back keeps it; a new key is added.
    const upd = expectStatus(
      await s.c.cfg("PUT", `connection/${conn.id}`, {
        data: { functionsEnv: { ...conn.data.functionsEnv, REGION: "eu" }, batchSize: 5 },
      }),
      200,
    );
    assert.deepEqual(upd.data.functionsEnv, {
      GREETING: "__MASKED_BY_JITSU__",
      REGION: "__MASKED_BY_JITSU__",
    });
    assert.equal(upd.data.batchSize, 5);
    assert.deepEqual(upd.data.functions, [{ functionId: s.fn.id }], "merge keeps the chain");
    const { liveConnectionsOf } = await import("../../src/services/pipeline_config.ts");
    const live = await liveConnectionsOf(t.deps, s.stream.workspaceId, s.stream.id);
    assert.deepEqual(live[0].functionsEnv, { GREETING: "env-secret-42", REGION: "eu" });
    assert.deepEqual(live[0].destination.config.headers, HOOK.headers);

    const tooBig = expectStatus(
      await s.c.cfg("PUT", `connection/${conn.id}`, { data: { batchSize: 5000 } }),
      400,
    );
    assert.equal(tooBig.error.message, `Cannot update connection "${conn.id}": data.batchSize: at most 1000`);
  } finally {
    await t.close();
  }
});

Deno.test("connection validation names each missing or wrong reference by path", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const s = await setup(t, u);
    const wrong = expectStatus(
      await s.c.cfg("POST", "connection", {
        fromId: s.dest.id,
        toId: s.stream.id,
        data: { functions: [{ functionId: "udf.nope" }, { functionId: s.fn.id }] },
      }),
      400,
    );
    assert.deepEqual(wrong.error.issues.map((i: { path: string }) => i.path), [
      "fromId",
      "toId",
      "data.functions.0.functionId",
    ]);
    assert.match(wrong.error.message, /fromId: no stream ".+" in this workspace/);
    const missing = expectStatus(await s.c.cfg("POST", "connection", { data: { mode: "sometimes" } }), 400);
    assert.deepEqual(missing.error.issues.map((i: { path: string }) => i.path), [
      "fromId",
      "toId",
      "data.mode",
    ]);
    const unknownOpt = expectStatus(
      await s.c.cfg("POST", "connection", {
        fromId: s.stream.id,
        toId: s.dest.id,
        data: { dataLayout: "segment" },
      }),
      400,
    );
    assert.equal(unknownOpt.error.issues[0].path, "data.dataLayout", "a webhook has no warehouse options");
    const sync = expectStatus(
      await s.c.cfg("POST", "connection", { fromId: s.stream.id, toId: s.dest.id, type: "sync" }),
      400,
    );
    assert.match(sync.error.message, /fromId: no service/);

    // Another workspace's objects do not exist here.
    const other = await t.user();
    const o = client(t, other);
    const theirStream = expectStatus(await o.cfg("POST", "stream", { name: "Theirs" }), 201);
    const cross = expectStatus(
      await s.c.cfg("POST", "connection", { fromId: theirStream.id, toId: s.dest.id }),
      400,
    );
    assert.equal(cross.error.issues[0].path, "fromId");
  } finally {
    await t.close();
  }
});

async function linked(c: Client, s: Awaited<ReturnType<typeof setup>>) {
  return expectStatus(await c.cfg("POST", "connection", connectionBody(s)), 201);
}

Deno.test("deleting a used stream, destination or function is a 409 listing the connections; cascade deletes them", async () => {
  const t = await testApp();
  try {
    const s = await setup(t, await t.user());
    const conn = await linked(s.c, s);
    for (const [type, id] of [["stream", s.stream.id], ["destination", s.dest.id], ["function", s.fn.id]]) {
      for (const q of ["", "?strict=true"]) {
        const r = expectStatus(await s.c.cfg("DELETE", `${type}/${id}${q}`), 409);
        assert.match(
          r.error.message,
          new RegExp(`^Cannot delete ${type} ".+": 1 connection\\(s\\) use it: "${conn.id}"`),
        );
        assert.equal(r.error.issues[0].path, "connections");
      }
    }
    const del = expectStatus(await s.c.cfg("DELETE", `function/${s.fn.id}?cascade=true`), 200);
    assert.deepEqual(del.deletedConnections, [conn.id]);
    assert.equal((await s.c.cfg("GET", `connection/${conn.id}`)).status, 404);
    // Now nothing uses the stream.
    expectStatus(await s.c.cfg("DELETE", `stream/${s.stream.id}`), 200);
  } finally {
    await t.close();
  }
});

Deno.test("Jitsu's /config/link API lists, upserts and deletes connections", async () => {
  const t = await testApp();
  try {
    const s = await setup(t, await t.user());
    const created = expectStatus(
      await s.c.cfg("POST", "link", { fromId: s.stream.id, toId: s.dest.id }),
      200,
    );
    assert.equal(created.created, true);
    const listed = expectStatus(await s.c.cfg("GET", "link"), 200);
    assert.deepEqual(listed.links.map((l: { id: string }) => l.id), [created.id]);
    const upd = expectStatus(
      await s.c.cfg("PUT", "link", {
        id: created.id,
        fromId: s.stream.id,
        toId: s.dest.id,
        data: { batchSize: 7 },
      }),
      200,
    );
    assert.equal(upd.created, false);
    assert.equal(upd.data.batchSize, 7);
    assert.equal(expectStatus(await s.c.cfg("GET", `connection/${created.id}`), 200).data.batchSize, 7);
    assert.deepEqual(
      expectStatus(await s.c.cfg("DELETE", `link?fromId=${s.stream.id}&toId=${s.dest.id}`), 200),
      { deleted: true, id: created.id },
    );
    assert.deepEqual(expectStatus(await s.c.cfg("DELETE", `link?id=${created.id}`), 200), {
      deleted: false,
      id: created.id,
    });
    expectStatus(await s.c.cfg("DELETE", "link"), 400);
  } finally {
    await t.close();
  }
});
