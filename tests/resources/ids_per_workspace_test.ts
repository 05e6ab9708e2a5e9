/**
 * Object ids are unique per workspace: a workspace that creates an object with an id another workspace
 * uses gets exactly what it gets for an unused id (no existence oracle), over REST and MCP, and every
 * read, write, link and pipeline lookup stays inside its own workspace.
 */
import assert from "node:assert/strict";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { RESOURCE_TYPES } from "../../src/services/resources.ts";
import { testApp, type TestUser } from "../_helpers/app.ts";
import { STORES } from "../_helpers/db.ts";
import { callTool } from "../mcp/rpc.ts";
import { basicAuth, startReceiver } from "../pipeline/fixtures.ts";
import {
  type Client,
  client,
  expectStatus,
  FUNCTION_CODE,
  PG_DESTINATION,
  shape,
  twoWorkspaces,
} from "./_client.ts";

/** A valid body per type; a connection links a stream and a destination of the caller's workspace. */
async function bodyFor(c: Client, type: string): Promise<Record<string, unknown>> {
  switch (type) {
    case "destination":
      return PG_DESTINATION;
    case "stream":
      return { name: "Site" };
    case "service":
      return { name: "Svc", package: "airbyte/source-x", credentials: { token: "t" } };
    case "function":
      return { name: "Fn", code: FUNCTION_CODE };
    default: {
      const s = expectStatus(await c.cfg("POST", "stream", { name: "S" }), 201);
      const d = expectStatus(
        await c.cfg("POST", "destination", { name: "D", destinationType: "devnull" }),
        201,
      );
      return { name: "Conn", fromId: s.id, toId: d.id };
    }
  }
}

for (const type of RESOURCE_TYPES) {
  Deno.test(`REST: creating a ${type} with another workspace's id answers as for an unused id`, async () => {
    await twoWorkspaces(async (_t, a, b) => {
      const ca = client(_t, a);
      const cb = client(_t, b);
      const theirs = expectStatus(
        await ca.cfg("POST", type, { ...await bodyFor(ca, type), id: "shared-id" }),
        201,
      );
      assert.equal(theirs.id, "shared-id");

      const taken = await cb.cfg("POST", type, { ...await bodyFor(cb, type), id: "shared-id" });
      const unused = await cb.cfg("POST", type, { ...await bodyFor(cb, type), id: "never-used-id" });
      assert.equal(taken.status, 201, JSON.stringify(taken.body));
      assert.equal(unused.status, 201, JSON.stringify(unused.body));
      assert.equal(taken.body.id, "shared-id");
      assert.equal(taken.body.workspaceId, b.workspace.id);
      assert.deepEqual(shape(taken.body), shape(unused.body));

      // A bad body with either id gets the same error, word for word.
      const badTaken = await cb.cfg("POST", type, { id: "shared-id", name: 5 });
      const badUnused = await cb.cfg("POST", type, { id: "other-unused", name: 5 });
      assert.equal(badTaken.status, badUnused.status);
      assert.deepEqual(badTaken.body.error.message, badUnused.body.error.message);

      // Within one workspace an id is still taken once.
      const again = await cb.cfg("POST", type, { ...await bodyFor(cb, type), id: "shared-id" });
      assert.equal(
        expectStatus(again, 409).error.message,
        `Cannot create ${type}: id "shared-id" is already used`,
      );

      // Each workspace sees, changes and deletes only its own object with that id.
      const renamed = expectStatus(await cb.cfg("PUT", `${type}/shared-id`, { name: "B's" }), 200);
      assert.equal(renamed.workspaceId, b.workspace.id);
      assert.notEqual(expectStatus(await ca.cfg("GET", `${type}/shared-id`), 200).name, "B's");
      expectStatus(await cb.cfg("DELETE", `${type}/shared-id?cascade=true`), 200);
      expectStatus(await cb.cfg("GET", `${type}/shared-id`), 404);
      assert.deepEqual(expectStatus(await ca.cfg("GET", `${type}/shared-id`), 200), withoutWriteKey(theirs));
      // An id only A has is a plain 404 for B, as for any unknown id.
      const onlyA = await cb.cfg("GET", `${type}/shared-id`);
      const unknown = await cb.cfg("GET", `${type}/no-such-id`);
      assert.equal(onlyA.status, unknown.status);
      assert.equal(
        onlyA.body.error.message.replace("shared-id", "X"),
        unknown.body.error.message.replace("no-such-id", "X"),
      );
    });
  });
}

function withoutWriteKey(o: Record<string, unknown>) {
  const { writeKey: _, ...rest } = o;
  return rest;
}

Deno.test("MCP: create_resource with another workspace's id answers as for an unused id", async () => {
  await twoWorkspaces(async (t, a, b) => {
    // Through POST /mcp, as a client calls it.
    const call = async (u: TestUser, name: string, args: Record<string, unknown>) => {
      return await callTool(t, u.auth, name, args) as {
        isError?: boolean;
        // deno-lint-ignore no-explicit-any
        structuredContent?: any;
        content: { text: string }[];
      };
    };
    const mine = await call(a, "create_resource", {
      workspaceId: a.workspace.id,
      type: "function",
      data: { id: "fn-shared", name: "Fn", code: FUNCTION_CODE },
    });
    assert.equal(mine.isError, undefined, mine.content[0].text);
    const taken = await call(b, "create_resource", {
      workspaceId: b.workspace.id,
      type: "function",
      data: { id: "fn-shared", name: "Fn", code: FUNCTION_CODE },
    });
    const unused = await call(b, "create_resource", {
      workspaceId: b.workspace.id,
      type: "function",
      data: { id: "fn-unused", name: "Fn", code: FUNCTION_CODE },
    });
    assert.equal(taken.isError, undefined, taken.content[0].text);
    assert.equal(unused.isError, undefined);
    assert.deepEqual(shape(taken.structuredContent), shape(unused.structuredContent));
    assert.equal(taken.structuredContent.workspaceId, b.workspace.id);

    const again = await call(b, "create_resource", {
      workspaceId: b.workspace.id,
      type: "function",
      data: { id: "fn-shared", name: "Fn", code: FUNCTION_CODE },
    });
    assert.equal(again.isError, true);
    assert.match(again.content[0].text, /id "fn-shared" is already used/);

    // B's update and delete touch B's object; A's stays as it was.
    await call(b, "update_resource", {
      workspaceId: b.workspace.id,
      type: "function",
      id: "fn-shared",
      data: { name: "B's" },
    });
    await call(b, "delete_resource", { workspaceId: b.workspace.id, type: "function", id: "fn-shared" });
    const aFn = await call(a, "get_resource", {
      workspaceId: a.workspace.id,
      type: "function",
      id: "fn-shared",
    });
    assert.equal(aFn.structuredContent.name, "Fn");
    const listed = await call(b, "list_resources", { workspaceId: b.workspace.id, type: "function" });
    assert.deepEqual(listed.structuredContent.objects.map((o: { id: string }) => o.id), ["fn-unused"]);
  });
});

Deno.test("a connection cannot link another workspace's stream or destination, even one whose id it knows", async () => {
  await twoWorkspaces(async (t, a, b) => {
    const ca = client(t, a);
    const cb = client(t, b);
    const s = expectStatus(await ca.cfg("POST", "stream", { name: "A", id: "a-stream" }), 201);
    const d = expectStatus(
      await ca.cfg("POST", "destination", { name: "D", destinationType: "devnull" }),
      201,
    );
    const bd = expectStatus(
      await cb.cfg("POST", "destination", { name: "D", destinationType: "devnull" }),
      201,
    );
    const foreign = await cb.cfg("POST", "connection", { fromId: s.id, toId: bd.id });
    const unknown = await cb.cfg("POST", "connection", { fromId: "no-such-stream", toId: bd.id });
    assert.equal(foreign.status, unknown.status);
    assert.equal(foreign.status >= 400 && foreign.status < 500, true);
    assert.equal(
      foreign.body.error.message.replaceAll(s.id, "X"),
      unknown.body.error.message.replaceAll("no-such-stream", "X"),
    );
    const foreignDest = await cb.cfg("POST", "connection", { fromId: s.id, toId: d.id });
    assert.equal(foreignDest.status, unknown.status);
    // With a stream of its own under the same id, B links its own stream, never A's.
    expectStatus(await cb.cfg("POST", "stream", { name: "B", id: "a-stream" }), 201);
    const linked = expectStatus(await cb.cfg("POST", "connection", { fromId: "a-stream", toId: bd.id }), 201);
    assert.equal(linked.workspaceId, b.workspace.id);
    assert.equal(expectStatus(await ca.cfg("GET", "connection"), 200).total, 0, "A has no connection");
    // The stream's write keys are its own: B's stream with A's id lists only B's key.
    const aKeys = expectStatus(await ca.cfg("GET", "stream/a-stream"), 200).privateKeys;
    const bKeys = expectStatus(await cb.cfg("GET", "stream/a-stream"), 200).privateKeys;
    assert.equal(aKeys.length, 1);
    assert.equal(bKeys.length, 1);
    assert.notEqual(aKeys[0].id, bKeys[0].id);
  });
});

for (const store of STORES) {
  Deno.test(`[${store.name}] two workspaces with the same stream, destination and connection ids: events stay in their workspace`, async () => {
    const t = await testApp({
      db: await store.open(),
      env: { PIPELINE_RETRIES: "1", FUNCTIONS_TIMEOUT_MS: "2000" },
    });
    const rxA = startReceiver();
    const rxB = startReceiver();
    const pipeline = new Pipeline(t.deps, { workers: 0 });
    try {
      const keys: Record<string, string> = {};
      const users: TestUser[] = [];
      for (const [u, rx, label] of [[await t.user(), rxA, "A"], [await t.user(), rxB, "B"]] as const) {
        users.push(u);
        const c = client(t, u);
        const s = expectStatus(await c.cfg("POST", "stream", { name: "web", id: "web" }), 201);
        keys[label] = s.writeKey;
        expectStatus(
          await c.cfg("POST", "function", {
            id: "tag",
            name: "tag",
            code: `export default async function (event) { return { ...event, by: "${label}" }; }`,
          }),
          201,
        );
        expectStatus(
          await c.cfg("POST", "destination", {
            id: "hook",
            name: "hook",
            destinationType: "webhook",
            url: rx.url,
          }),
          201,
        );
        expectStatus(
          await c.cfg("POST", "connection", {
            id: "web-hook",
            fromId: "web",
            toId: "hook",
            data: { functions: [{ functionId: "udf.tag" }] },
          }),
          201,
        );
      }
      for (const label of ["A", "B", "A"]) {
        const res = await t.request("/api/s/s2s/track", {
          method: "POST",
          headers: { authorization: basicAuth(keys[label]) },
          json: { event: `from ${label}`, messageId: crypto.randomUUID() },
        });
        assert.equal(res.status, 200, await res.text());
      }
      await pipeline.drain();
      assert.deepEqual(rxA.bodies.map((x) => [x.event, x.by]), [["from A", "A"], ["from A", "A"]]);
      assert.deepEqual(rxB.bodies.map((x) => [x.event, x.by]), [["from B", "B"]]);
      // Live Events of a connection id are per workspace too.
      for (const [u, n] of [[users[0], 2], [users[1], 1]] as const) {
        const page = expectStatus(
          await client(t, u).call("GET", `/api/${u.workspace.id}/log/bulker_stream/web-hook`),
          200,
        );
        const events = Array.isArray(page) ? page : page.events ?? page.entries;
        assert.equal(events.length, n);
      }
    } finally {
      await pipeline.stop();
      await rxA.close();
      await rxB.close();
      await t.close();
    }
  });
}
