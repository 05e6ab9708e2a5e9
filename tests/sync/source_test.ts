/** get_connector_spec, check_source_credentials and discover_streams against fixture connectors. */
import assert from "node:assert/strict";
import { checkSourceCredentials, discoverStreams, getConnectorSpec } from "../../src/sync/source.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { createResource } from "../../src/services/resources.ts";
import { connectorsDir } from "./_connectors.ts";

async function setup(env: Record<string, string> = {}) {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir, ...env } });
  const u = await t.user();
  async function service(credentials: Record<string, unknown>, pkg = "fake-source") {
    const s = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "service",
      data: { name: "Fake", package: pkg, credentials },
    }) as { id: string };
    return s.id;
  }
  return {
    t,
    u,
    service,
    async close() {
      await t.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("getConnectorSpec() runs a local connector's spec and names its airbyte_secret fields", async () => {
  const s = await setup();
  try {
    const r = await getConnectorSpec(s.u.ctx, { workspaceId: s.u.workspace.id, package: "fake-source" });
    assert.deepEqual(r.secretFields, ["api_key"]);
    assert.ok((r.spec.connectionSpecification as { properties: object }).properties);
  } finally {
    await s.close();
  }
});

Deno.test("checkSourceCredentials() answers SUCCEEDED for good credentials and FAILED with the reason, secret masked", async () => {
  const s = await setup();
  try {
    const good = await s.service({ api_key: "good" });
    const ok = await checkSourceCredentials(s.u.ctx, { workspaceId: s.u.workspace.id, serviceId: good });
    assert.equal(ok.ok, true);
    assert.equal(ok.status, "SUCCEEDED");
    const bad = await s.service({ api_key: "wrong-key-123" });
    const no = await checkSourceCredentials(s.u.ctx, { workspaceId: s.u.workspace.id, serviceId: bad });
    assert.equal(no.ok, false);
    assert.equal(no.status, "FAILED");
    assert.equal(no.message, "api key *** refused");
  } finally {
    await s.close();
  }
});

Deno.test("discoverStreams() lists the connector's streams", async () => {
  const s = await setup();
  try {
    const id = await s.service({ api_key: "good" });
    const r = await discoverStreams(s.u.ctx, { workspaceId: s.u.workspace.id, serviceId: id });
    assert.deepEqual(r.streams.map((x) => x.name), ["users", "events"]);
    assert.deepEqual(r.streams[0].source_defined_primary_key, [["id"]]);
  } finally {
    await s.close();
  }
});

Deno.test("get_connector_spec refuses a package with ../ or a path, with a 400 naming the field", async () => {
  const s = await setup();
  try {
    for (const pkg of ["../fake-source", "..", "/bin/sh", "sub/../../x", "--privileged", ".hidden"]) {
      const res = await s.t.request("/mcp", {
        method: "POST",
        headers: {
          authorization: s.u.auth,
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-06-18",
        },
        json: {
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "get_connector_spec", arguments: { workspaceId: s.u.workspace.id, package: pkg } },
        },
      });
      const body = await expectJson(res, 200);
      assert.equal(body.result.isError, true, pkg);
      assert.match(body.result.content[0].text, /never a path with "\.\."/);
    }
  } finally {
    await s.close();
  }
});

Deno.test("a local package outside the folder (a symlink out of it) never runs; without Docker the error says so", async () => {
  const s = await setup();
  try {
    const outside = await Deno.makeTempFile();
    await Deno.writeTextFile(outside, '#!/bin/sh\necho \'{"type":"SPEC","spec":{}}\'\n');
    await Deno.chmod(outside, 0o755);
    await Deno.symlink(outside, `${s.t.deps.config.syncConnectorsDir}/escape`);
    await assert.rejects(
      () => getConnectorSpec(s.u.ctx, { workspaceId: s.u.workspace.id, package: "escape" }),
      (e: Error) => /Cannot run connector "escape"/.test(e.message),
    );
    await Deno.remove(outside);
  } finally {
    await s.close();
  }
});

Deno.test("a connector that never answers check is stopped at the time limit", async () => {
  const s = await setup({ SYNC_TIMEOUT_SECONDS: "1" });
  try {
    const id = await s.service({ token: "secret-token" }, "shell-source");
    const started = Date.now();
    await assert.rejects(
      () => checkSourceCredentials(s.u.ctx, { workspaceId: s.u.workspace.id, serviceId: id }),
      (e: Error) => /did not finish within 1 s/.test(e.message),
    );
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await s.close();
  }
});

Deno.test("a service with a package that is a path is refused when saved, naming the field", async () => {
  const s = await setup();
  try {
    await assert.rejects(
      () => s.service({}, "../../bin/sh"),
      (e: Error) => /package: must be a connector file name or a Docker image/.test(e.message),
    );
  } finally {
    await s.close();
  }
});
