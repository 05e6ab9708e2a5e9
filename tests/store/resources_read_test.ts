import assert from "node:assert/strict";
import type { Db } from "../../src/store/db.ts";
import {
  findConfigObjectWithWorkspace,
  insertConfigObject,
  listConfigObjects,
} from "../../src/store/resources_repo.ts";
import { insertUser } from "../../src/store/users_repo.ts";
import { addMember, insertWorkspace } from "../../src/store/workspaces_repo.ts";
import { STORES } from "../_helpers/db.ts";

async function fixture(db: Db) {
  const alice = await insertUser(db, {
    id: "ualice",
    email: "a@example.com",
    passwordHash: null,
    isAdmin: false,
  });
  const bob = await insertUser(db, {
    id: "ubob",
    email: "b@example.com",
    passwordHash: null,
    isAdmin: false,
  });
  const wsA = await insertWorkspace(db, { id: "wsa", name: "A", slug: "team-a" });
  const wsB = await insertWorkspace(db, { id: "wsb", name: "B", slug: null });
  await addMember(db, wsA.id, alice.id, "editor");
  await addMember(db, wsB.id, bob.id, "owner");
  for (const [i, ws] of [[1, wsA.id], [2, wsA.id], [3, wsA.id], [4, wsB.id]] as const) {
    await insertConfigObject(db, {
      id: `fn${i}`,
      workspace_id: ws,
      type: "function",
      subtype: null,
      name: `f${i}`,
      config: { code: `// ${i}` },
      secrets: null,
      from_id: null,
      to_id: null,
      created_at: new Date(Date.UTC(2026, 0, i)),
      updated_at: new Date(Date.UTC(2026, 0, i)),
    });
  }
  await db.query("update config_objects set deleted_at = now() where id = 'fn3'");
  return { alice, bob, wsA, wsB };
}

for (const s of STORES) {
  Deno.test(`[${s.name}] findConfigObjectWithWorkspace() reads the workspace, the role and the object at once`, async () => {
    const db = await s.open();
    try {
      const { alice, bob, wsA } = await fixture(db);
      const hit = await findConfigObjectWithWorkspace(db, {
        workspace: "team-a",
        userId: alice.id,
        type: "function",
        id: "fn1",
      });
      assert.deepEqual(
        { ...hit!.workspace, created_at: null, updated_at: null },
        { id: wsA.id, name: "A", slug: "team-a", role: "editor", created_at: null, updated_at: null },
      );
      assert.ok(hit!.workspace.created_at instanceof Date);
      assert.equal(hit!.object!.id, "fn1");
      assert.equal(hit!.object!.workspace_id, wsA.id);
      assert.deepEqual(hit!.object!.config, { code: "// 1" });
      assert.equal(hit!.object!.created_at.toISOString(), "2026-01-01T00:00:00.000Z");
      // A non-member gets the workspace (role null: the service answers 404) and still no foreign row.
      const outsider = await findConfigObjectWithWorkspace(db, {
        workspace: wsA.id,
        userId: bob.id,
        type: "function",
        id: "fn1",
      });
      assert.equal(outsider!.workspace.role, null);
      // Another workspace's object, a wrong type and a deleted object are all "no object".
      for (const [id, type] of [["fn4", "function"], ["fn1", "stream"], ["fn3", "function"]]) {
        const r = await findConfigObjectWithWorkspace(db, { workspace: wsA.id, userId: alice.id, type, id });
        assert.equal(r!.workspace.id, wsA.id);
        assert.equal(r!.object, null, `${type} ${id}`);
      }
      assert.equal(
        await findConfigObjectWithWorkspace(db, {
          workspace: "nope",
          userId: alice.id,
          type: "function",
          id: "fn1",
        }),
        null,
      );
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${s.name}] listConfigObjects() returns the page and the total, also past the end`, async () => {
    const db = await s.open();
    try {
      const { wsA, wsB } = await fixture(db);
      const page = await listConfigObjects(db, wsA.id, "function", { limit: 1, offset: 1 });
      assert.deepEqual(page.rows.map((r) => r.id), ["fn2"]);
      assert.equal(page.total, 2);
      assert.equal("total_count" in page.rows[0], false);
      assert.deepEqual(await listConfigObjects(db, wsA.id, "function", { limit: 10, offset: 5 }), {
        rows: [],
        total: 2,
      });
      assert.deepEqual(await listConfigObjects(db, wsB.id, "stream", { limit: 10, offset: 0 }), {
        rows: [],
        total: 0,
      });
    } finally {
      await db.close();
    }
  });
}
