/** The example connector in docs/ works as documented: spec, check, discover and incremental runs. */
import assert from "node:assert/strict";
import { checkSourceCredentials, getConnectorSpec } from "../../src/sync/source.ts";
import { runSync } from "../../src/sync/syncs.ts";
import { testApp } from "../_helpers/app.ts";
import { pgTarget } from "../destinations/_targets.ts";
import { setupSync } from "./_connectors.ts";
import { waitForTask } from "./_wait.ts";

Deno.test("[postgres] docs/sync-connector-example.ts syncs an HTTP API incrementally", async () => {
  const items = [
    { id: "a", name: "first", updated_at: "2026-01-01T00:00:00Z" },
    { id: "b", name: "second", updated_at: "2026-01-02T00:00:00Z" },
  ];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    if (req.headers.get("authorization") !== "Bearer tok-123456") return new Response("no", { status: 401 });
    const since = new URL(req.url).searchParams.get("since");
    return Response.json(items.filter((i) => !since || i.updated_at > since));
  });
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(new URL("../../docs/sync-connector-example.ts", import.meta.url), `${dir}/http-items`);
  await Deno.chmod(`${dir}/http-items`, 0o755);
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await pgTarget();
  try {
    const u = await t.user();
    const spec = await getConnectorSpec(u.ctx, { workspaceId: u.workspace.id, package: "http-items" });
    assert.deepEqual(spec.secretFields, ["token"]);
    const url = `http://127.0.0.1:${server.addr.port}/items`;
    const s = await setupSync(u, target, {
      pkg: "http-items",
      credentials: { url, token: "tok-123456" },
      data: { streams: { items: { sync_mode: "incremental" } } },
    });
    assert.equal(
      (await checkSourceCredentials(u.ctx, { workspaceId: u.workspace.id, serviceId: s.serviceId })).ok,
      true,
    );
    const first = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    const t1 = await waitForTask(u, s.connectionId, first.taskId);
    assert.equal(t1.status, "SUCCESS", t1.error ?? "");
    assert.deepEqual(t1.rows, { items: 2 });
    items.push({ id: "a", name: "first, renamed", updated_at: "2026-01-03T00:00:00Z" });
    const second = await runSync(u.ctx, { workspaceId: u.workspace.id, connectionId: s.connectionId });
    const t2 = await waitForTask(u, s.connectionId, second.taskId);
    assert.deepEqual(t2.rows, { items: 1 });
    const rows = await target.rows("items", "id");
    assert.deepEqual(rows.map((r) => [r.id, r.name]), [["a", "first, renamed"], ["b", "second"]]);
  } finally {
    await target.drop();
    await t.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
