import assert from "node:assert/strict";
import type { Ctx } from "../../src/deps.ts";
import type { AppError } from "../../src/errors.ts";
import { createResource, getResource, listResources, updateResource } from "../../src/services/resources.ts";
import { addMember } from "../../src/store/workspaces_repo.ts";
import { testApp } from "../_helpers/app.ts";

Deno.test("workspaceId may be a slug; analysts and read-only credentials read but cannot write (403)", async () => {
  const t = await testApp();
  try {
    const owner = await t.user(undefined, { slug: "acme-shop" });
    const analyst = await t.user();
    await addMember(t.deps.db, owner.workspace.id, analyst.id, "analyst");
    const d = await createResource(owner.ctx, {
      workspaceId: "acme-shop",
      type: "function",
      data: { name: "f", code: "export default (e) => e" },
    });
    assert.equal(d.workspaceId, owner.workspace.id);
    const got = await getResource(analyst.ctx, { workspaceId: "acme-shop", type: "function", id: d.id });
    assert.equal(got.id, d.id);
    await assert.rejects(
      () =>
        updateResource(analyst.ctx, {
          workspaceId: "acme-shop",
          type: "function",
          id: d.id,
          data: { name: "x" },
        }),
      (e: AppError) => e.status === 403 && /analyst/.test(e.message),
    );
    const readOnly: Ctx = { ...owner.ctx, principal: { ...owner.ctx.principal, canWrite: false } };
    await assert.rejects(
      () => createResource(readOnly, { workspaceId: "acme-shop", type: "stream", data: { name: "s" } }),
      (e: AppError) => e.status === 403 && /read-only/.test(e.message),
    );
    const limited: Ctx = { ...owner.ctx, principal: { ...owner.ctx.principal, workspaceIds: ["elsewhere"] } };
    await assert.rejects(
      () => listResources(limited, { workspaceId: "acme-shop", type: "function" }),
      (e: AppError) => e.status === 404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("services validate their own input: missing fields and an array as data are 400s naming the path", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    await assert.rejects(
      () => createResource(u.ctx, { type: "stream" }),
      (e: AppError) =>
        e.status === 400 && e.message === "Cannot create resource: workspaceId: required; data: required",
    );
    await assert.rejects(
      () => createResource(u.ctx, { workspaceId: u.workspace.id, type: "stream", data: [] }),
      (e: AppError) =>
        e.status === 400 && e.message === "Cannot create stream: data: must be an object, not an array",
    );
    await assert.rejects(
      () => listResources(u.ctx, { workspaceId: u.workspace.id, type: "stream", limit: 5000 }),
      (e: AppError) => e.status === 400 && /limit: at most 1000/.test(e.message),
    );
  } finally {
    await t.close();
  }
});
