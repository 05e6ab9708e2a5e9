import assert from "node:assert/strict";
import type { AppError } from "../../src/errors.ts";
import { createResource, updateResource } from "../../src/services/resources.ts";
import { testApp } from "../_helpers/app.ts";
import { STORES } from "../_helpers/db.ts";

for (const store of STORES) {
  Deno.test(`[${store.name}] concurrent creates of one id or one push pair: one wins, the other is a 409`, async () => {
    const t = await testApp({ db: await store.open() });
    try {
      const u = await t.user();
      const ws = u.workspace.id;
      const mk = (data: Record<string, unknown>, type = "function") =>
        createResource(u.ctx, { workspaceId: ws, type, data });
      const settle = (ps: Promise<unknown>[]) => Promise.allSettled(ps);
      const fn = { name: "f", code: "export default (e) => e", id: "same-id" };
      const ids = await settle([mk(fn), mk(fn), mk(fn)]);
      assert.equal(ids.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of ids) {
        if (r.status === "rejected") assert.equal((r.reason as AppError).status, 409, String(r.reason));
      }

      const s = await mk({ name: "s" }, "stream");
      const d = await mk({ name: "d", destinationType: "devnull" }, "destination");
      const pair = await settle([1, 2, 3].map(() => mk({ fromId: s.id, toId: d.id }, "connection")));
      assert.equal(pair.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of pair) {
        if (r.status === "rejected") assert.equal((r.reason as AppError).status, 409, String(r.reason));
      }

      // Two stale-checked writes from the same version: exactly one lands.
      const f = await mk({ name: "g", code: "export default (e) => e" });
      const writes = await settle(
        ["A", "B"].map((name) =>
          updateResource(u.ctx, {
            workspaceId: ws,
            type: "function",
            id: f.id,
            data: { name },
            expectedUpdatedAt: f.updatedAt,
          })
        ),
      );
      assert.equal(writes.filter((r) => r.status === "fulfilled").length, 1);
    } finally {
      await t.close();
    }
  });
}

Deno.test("a domain can belong to one live stream only, in any workspace", async () => {
  const t = await testApp();
  try {
    const a = await t.user();
    const b = await t.user();
    const s = await createResource(a.ctx, {
      workspaceId: a.workspace.id,
      type: "stream",
      data: { name: "A", domains: ["shop.example.com"] },
    });
    await assert.rejects(
      () =>
        createResource(b.ctx, {
          workspaceId: b.workspace.id,
          type: "stream",
          data: { name: "B", domains: ["other.example.com", "SHOP.example.com"] },
        }),
      (e: AppError) =>
        e.status === 409 &&
        e.message === 'Cannot create stream: domains.1: "shop.example.com" is already used by another stream',
    );
    // Its own domains do not conflict with itself on update.
    await updateResource(a.ctx, {
      workspaceId: a.workspace.id,
      type: "stream",
      id: s.id,
      data: { name: "A2", domains: ["shop.example.com", "www.example.com"] },
    });
  } finally {
    await t.close();
  }
});
