import assert from "node:assert/strict";
import { createResource } from "../../src/services/resources.ts";
import { insertAuditEntry, listAuditEntries } from "../../src/store/audit_repo.ts";
import { testApp } from "../_helpers/app.ts";
import { client, expectStatus, PG_DESTINATION } from "./_client.ts";

Deno.test("every mutation is in GET /api/{ws}/audit-log: who, via what, before and after, masked", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const d = expectStatus(await c.cfg("POST", "destination", PG_DESTINATION), 201);
    expectStatus(await c.cfg("PUT", `destination/${d.id}`, { name: "Renamed" }), 200);
    expectStatus(await c.cfg("DELETE", `destination/${d.id}`), 200);
    // The same service over MCP, as the MCP face calls it.
    await createResource({ ...u.ctx, channel: "mcp" }, {
      workspaceId: u.workspace.slug ?? u.workspace.id,
      type: "function",
      data: { name: "f", code: "export default (e) => e" },
    });

    const log = expectStatus(await c.call("GET", `/api/${u.workspace.id}/audit-log`), 200);
    assert.deepEqual(
      log.entries.map((e: { action: string; objectType: string }) => `${e.action} ${e.objectType}`),
      [
        "create function",
        "delete destination",
        "update destination",
        "create destination",
      ],
    );
    const [mcp, del, upd, create] = log.entries;
    assert.equal(mcp.channel, "mcp");
    assert.deepEqual(mcp.via, { kind: "cli" });
    const keyId = u.key.split(":")[0];
    assert.deepEqual(create.via, { kind: "api_key", keyId });
    assert.equal(create.channel, "rest");
    assert.deepEqual(create.user, { id: u.id, email: u.email });
    assert.equal(create.before, null);
    assert.equal(create.after.password, "__MASKED_BY_JITSU__");
    assert.equal(upd.before.name, "Warehouse");
    assert.equal(upd.after.name, "Renamed");
    assert.equal(del.after, null);
    assert.equal(del.before.name, "Renamed");
    assert.match(create.at, /^\d{4}-\d\d-\d\dT/);
    assert.ok(create.requestId);

    const only = expectStatus(
      await c.call("GET", `/api/${u.workspace.id}/audit-log?objectId=${d.id}&limit=1`),
      200,
    );
    assert.deepEqual(only.entries.map((e: { action: string }) => e.action), ["delete"]);
    const byType = expectStatus(await c.call("GET", `/api/${u.workspace.id}/audit-log?type=function`), 200);
    assert.equal(byType.entries.length, 1);

    const other = await t.user();
    assert.equal((await client(t, other).call("GET", `/api/${u.workspace.id}/audit-log`)).status, 404);
    const anon = await t.request(`/api/${u.workspace.id}/audit-log`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("the audit log lists newest first by number, past id 9 too (ids are not sorted as text)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    for (let i = 0; i < 12; i++) {
      await insertAuditEntry(t.deps.db, {
        workspace_id: u.workspace.id,
        at: new Date(),
        user_id: u.id,
        user_email: u.email,
        via: { kind: "cli" },
        channel: "cli",
        action: "update",
        object_type: "function",
        object_id: `f${i}`,
        request_id: null,
        before: null,
        after: null,
      });
    }
    const rows = await listAuditEntries(t.deps.db, u.workspace.id, { limit: 100, offset: 0 });
    const ids = rows.map((r) => Number(r.id));
    assert.ok(ids.length >= 12 && ids.some((id) => id >= 10), `ids ${ids}`);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  } finally {
    await t.close();
  }
});
