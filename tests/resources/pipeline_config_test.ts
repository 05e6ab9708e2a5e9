import assert from "node:assert/strict";
import { findStreamByKeyId, liveConnectionsOf, touchStreamKey } from "../../src/services/pipeline_config.ts";
import {
  createResource,
  deleteResource,
  listResources,
  updateResource,
} from "../../src/services/resources.ts";
import { testApp } from "../_helpers/app.ts";
import { STORES } from "../_helpers/db.ts";
import { FUNCTION_CODE } from "./_client.ts";

for (const store of STORES) {
  Deno.test(`[${store.name}] liveConnectionsOf() returns decrypted credentials, env and the chain in order`, async () => {
    const t = await testApp({ db: await store.open() });
    try {
      const u = await t.user();
      const ws = u.workspace.id;
      const make = (type: string, data: Record<string, unknown>) =>
        createResource(u.ctx, { workspaceId: ws, type, data });
      const stream = await make("stream", { name: "Site" });
      const other = await make("stream", { name: "Other" });
      const pg = await make("destination", {
        name: "PG",
        destinationType: "postgres",
        host: "h",
        database: "d",
        username: "u",
        password: "pg-pass",
      });
      const hook = await make("destination", {
        name: "Hook",
        destinationType: "webhook",
        url: "https://x.test/",
      });
      const f1 = await make("function", { name: "one", code: FUNCTION_CODE });
      const f2 = await make("function", { name: "two", code: "export default (e) => e" });
      const c1 = await make("connection", {
        fromId: stream.id,
        toId: pg.id,
        data: {
          functions: [{ functionId: `udf.${f2.id}` }, { functionId: f1.id }],
          functionsEnv: { K: "v1" },
        },
      });
      const c2 = await make("connection", { fromId: stream.id, toId: hook.id, data: { disabled: true } });
      await make("connection", { fromId: other.id, toId: hook.id });

      const live = await liveConnectionsOf(t.deps, ws, String(stream.id));
      assert.deepEqual(live.map((c) => c.id), [c1.id], "disabled connections and other streams are left out");
      const [c] = live;
      assert.equal(c.streamId, stream.id);
      assert.deepEqual(c.functions.map((f) => [f.id, f.name]), [[f2.id, "two"], [f1.id, "one"]]);
      assert.equal(c.functions[1].code, FUNCTION_CODE);
      assert.deepEqual(c.functionsEnv, { K: "v1" });
      assert.equal(c.options.mode, "batch");
      assert.equal(c.options.functions, undefined);
      assert.equal(c.destination.destinationType, "postgres");
      assert.equal(c.destination.config.password, "pg-pass");
      assert.equal(c.destination.config.port, 5432);

      await updateResource(u.ctx, {
        workspaceId: ws,
        type: "connection",
        id: c2.id,
        data: { data: { disabled: false } },
      });
      assert.equal((await liveConnectionsOf(t.deps, ws, String(stream.id))).length, 2);
      await deleteResource(u.ctx, { workspaceId: ws, type: "destination", id: pg.id, cascade: true });
      assert.deepEqual((await liveConnectionsOf(t.deps, ws, String(stream.id))).map((x) => x.id), [c2.id]);
      const listed = await listResources(u.ctx, { workspaceId: ws, type: "connection", slim: true });
      assert.equal(listed.total, 2);
    } finally {
      await t.close();
    }
  });

  Deno.test(`[${store.name}] findStreamByKeyId() finds live streams' keys only; touchStreamKey() records use`, async () => {
    const t = await testApp({ db: await store.open() });
    try {
      const u = await t.user();
      const s = await createResource(u.ctx, {
        workspaceId: u.workspace.id,
        type: "stream",
        data: { name: "S", publicKeys: [{ id: "pk-1", plaintext: "p".repeat(20) }] },
      });
      const k = await findStreamByKeyId(t.deps.db, "pk-1");
      assert.equal(k?.kind, "browser");
      assert.equal(k?.lastUsedAt, null);
      const at = new Date("2026-03-01T00:00:00Z");
      await touchStreamKey(t.deps.db, { workspaceId: u.workspace.id, id: "pk-1" }, at);
      assert.equal((await findStreamByKeyId(t.deps.db, "pk-1"))?.lastUsedAt?.toISOString(), at.toISOString());
      assert.equal(await findStreamByKeyId(t.deps.db, "nope"), null);
      await deleteResource(u.ctx, { workspaceId: u.workspace.id, type: "stream", id: s.id });
      assert.equal(await findStreamByKeyId(t.deps.db, "pk-1"), null);
    } finally {
      await t.close();
    }
  });
}
