/** The Docker launcher: the command line it builds, and the clear error when no daemon answers. */
import assert from "node:assert/strict";
import { createResource } from "../../src/services/resources.ts";
import { dockerLaunch } from "../../src/sync/launcher.ts";
import { checkSourceCredentials } from "../../src/sync/source.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

Deno.test("dockerLaunch() runs the image with --rm -i and the run's folder mounted", () => {
  const l = dockerLaunch("airbyte/source-postgres", "3.6.0", "abc");
  const c = l.command(
    "/tmp/run1",
    (path) => ["read", "--config", path("config.json"), "--catalog", path("catalog.json")],
  );
  assert.equal(c.cmd, "docker");
  assert.deepEqual(c.args, [
    "run",
    "--rm",
    "-i",
    "--name",
    "sluice-sync-abc",
    "-v",
    "/tmp/run1:/sluice",
    "-w",
    "/sluice",
    "airbyte/source-postgres:3.6.0",
    "read",
    "--config",
    "/sluice/config.json",
    "--catalog",
    "/sluice/catalog.json",
  ]);
  assert.equal(l.container, "sluice-sync-abc");
});

Deno.test("an image package without a Docker daemon fails with an error that says what to do", async () => {
  const before = Deno.env.get("DOCKER_HOST");
  Deno.env.set("DOCKER_HOST", "unix:///nonexistent/sluice-test-docker.sock");
  const t = await testApp();
  try {
    const u = await t.user();
    const svc = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "service",
      data: {
        name: "PG",
        package: "airbyte/source-postgres",
        version: "3.6.0",
        credentials: { password: "pw-secret" },
      },
    }) as { id: string };
    await assert.rejects(
      () => checkSourceCredentials(u.ctx, { workspaceId: u.workspace.id, serviceId: svc.id }),
      (e: Error & { status?: number }) => {
        assert.match(
          e.message,
          /Cannot run connector "airbyte\/source-postgres": SYNC_CONNECTORS_DIR is not set, and no Docker daemon answers/,
        );
        assert.equal(e.status, 422);
        return true;
      },
    );
    const res = await t.request(`/api/${u.workspace.id}/sources/check?serviceId=${svc.id}`, {
      method: "POST",
      headers: { authorization: u.auth },
    });
    const body = await expectJson(res, 422);
    assert.match(JSON.stringify(body), /no Docker daemon answers/);
    assert.ok(!JSON.stringify(body).includes("pw-secret"));
  } finally {
    if (before === undefined) Deno.env.delete("DOCKER_HOST");
    else Deno.env.set("DOCKER_HOST", before);
    await t.close();
  }
});
