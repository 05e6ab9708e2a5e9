import assert from "node:assert/strict";
import { RESOURCE_TYPES } from "../../src/services/resources.ts";
import { testApp } from "../_helpers/app.ts";
import { type Client, client, expectStatus, FUNCTION_CODE, PG_DESTINATION } from "./_client.ts";

/** A valid body per type (a connection needs a stream and a destination first). */
async function bodyFor(c: Client, type: string): Promise<Record<string, unknown>> {
  switch (type) {
    case "destination":
      return PG_DESTINATION;
    case "stream":
      return { name: "Site", domains: ["example.com"] };
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
  Deno.test(`${type}: create, get, list slim, rename, stale write 409, cross-workspace 404, soft delete`, async () => {
    const t = await testApp();
    try {
      const u = await t.user();
      const c = client(t, u);
      const created = expectStatus(await c.cfg("POST", type, await bodyFor(c, type)), 201);
      assert.equal(created.workspaceId, u.workspace.id);
      assert.equal(created.type, type === "connection" ? "push" : type);
      assert.equal(created.createdAt, created.updatedAt);

      assert.deepEqual(
        expectStatus(await c.cfg("GET", `${type}/${created.id}`), 200),
        (({ writeKey: _, ...o }) => o)(created),
      );
      const slim = expectStatus(await c.cfg("GET", `${type}?slim=1`), 200);
      assert.ok(slim.objects.some((o: { id: string }) => o.id === created.id));
      for (const o of slim.objects) assert.equal(o.code, undefined);

      const renamed = expectStatus(
        await c.cfg("PUT", `${type}/${created.id}`, {
          name: "Renamed",
          expectedUpdatedAt: created.updatedAt,
        }),
        200,
      );
      assert.equal(renamed.name, "Renamed");
      assert.equal(renamed.createdAt, created.createdAt);
      const stale = await c.cfg("PUT", `${type}/${created.id}`, {
        name: "Again",
        expectedUpdatedAt: created.updatedAt,
      });
      assert.equal(expectStatus(stale, 409).error.code, "conflict");
      const invalid = expectStatus(await c.cfg("PUT", `${type}/${created.id}`, { name: "" }), 400);
      assert.deepEqual(invalid.error.issues, [{ path: "name", message: "required" }]);
      const unknown = expectStatus(await c.cfg("PUT", `${type}/${created.id}`, { bogus: 1 }), 400);
      assert.equal(unknown.error.issues[0].path, "bogus");

      const other = client(t, await t.user());
      assert.equal((await other.cfg("GET", `${type}/${created.id}`)).status, 404);
      assert.equal((await other.cfg("PUT", `${type}/${created.id}`, { name: "x" })).status, 404);
      assert.equal((await other.cfg("DELETE", `${type}/${created.id}`)).status, 404);

      const wrongType = type === "function" ? "stream" : "function";
      assert.equal((await c.cfg("GET", `${wrongType}/${created.id}`)).status, 404, "ids are typed");

      expectStatus(await c.cfg("DELETE", `${type}/${created.id}?cascade=true`), 200);
      assert.equal((await c.cfg("GET", `${type}/${created.id}`)).status, 404);
      assert.ok(
        !expectStatus(await c.cfg("GET", type), 200).objects.some((o: { id: string }) => o.id === created.id),
      );
    } finally {
      await t.close();
    }
  });
}
