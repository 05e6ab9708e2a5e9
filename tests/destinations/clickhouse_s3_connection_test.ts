/**
 * test_connection for clickhouse (create and drop a probe table) and s3 (put and delete a probe
 * object): the same answer over REST (`POST /api/{ws}/config/destination/test`) and the MCP tool, for
 * good and bad credentials.
 */
import assert from "node:assert/strict";
import { testConnectionTool } from "../../src/mcp/tools/test_connection.ts";
import { createResource } from "../../src/services/resources.ts";
import { expectJson, type TestApp, testApp, type TestUser } from "../_helpers/app.ts";
import { clickhouseServer } from "../_helpers/clickhouse.ts";
import { startS3 } from "../_helpers/s3.ts";

const server = await clickhouseServer();

/** A loopback port nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Asks REST and MCP the same question; asserts they agree and returns the answer. */
async function askBoth(t: TestApp, u: TestUser, body: Record<string, unknown>) {
  const ws = u.workspace.id;
  const rest = await expectJson(
    await t.request(`/api/${ws}/config/destination/test`, {
      method: "POST",
      headers: { authorization: u.auth },
      json: body,
    }),
    200,
  );
  const { id, ...config } = body;
  const mcp = await testConnectionTool().call(u.ctx, {
    workspaceId: ws,
    ...(id ? { id } : {}),
    ...(Object.keys(config).length ? { config } : {}),
  });
  assert.deepEqual(mcp.structuredContent, rest, "REST and MCP give the same answer");
  return rest;
}

Deno.test("test_connection on clickhouse: a probe table comes and goes; wrong password and native protocol are named", async () => {
  const t = await testApp();
  const db = await server.database();
  try {
    const u = await t.user();
    const dest = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      data: { name: "CH", destinationType: "clickhouse", ...db.credentials },
    });
    assert.deepEqual(await askBoth(t, u, { id: dest.id }), { ok: true, destinationType: "clickhouse" });
    const left = await server.query(`SELECT name FROM system.tables WHERE database = '${db.name}'`);
    assert.deepEqual(left, [], "the probe table is dropped");

    const wrong = await askBoth(t, u, { id: dest.id, password: "not-it" });
    assert.equal(wrong.ok, false);
    assert.equal(wrong.step, "connect");
    assert.match(
      wrong.error,
      /^Cannot connect to clickhouse at 127\.0\.0\.1:\d+: Code: 193\. DB::Exception: Wrong password/,
    );
    const native = await askBoth(t, u, { id: dest.id, protocol: "clickhouse-secure" });
    assert.equal(native.step, "credentials");
    assert.match(native.error, /protocol: "clickhouse-secure" \(the native protocol\) is not supported/);
    const port = closedPort();
    const refused = await askBoth(t, u, {
      destinationType: "clickhouse",
      hosts: [`127.0.0.1:${port}`],
      protocol: "http",
    });
    assert.equal(
      refused.error,
      `Cannot connect to clickhouse at 127.0.0.1:${port}: connection refused ` +
        "(is the server running, and are host and port right?)",
    );
  } finally {
    await db.drop();
    await t.close();
  }
});

Deno.test("test_connection on clickhouse without CREATE rights says so at step create_table", async () => {
  const t = await testApp();
  const db = await server.database();
  try {
    const u = await t.user();
    const r = await askBoth(t, u, { destinationType: "clickhouse", ...db.credentials, username: "reader" });
    assert.equal(r.ok, false);
    assert.equal(r.step, "create_table");
    assert.match(
      r.error,
      /^Connected to clickhouse at .* as "reader", but cannot create tables in database /,
    );
    assert.ok(
      r.error.endsWith(`"${db.name}": Code: 164. DB::Exception: Cannot create table in readonly mode`),
    );
  } finally {
    await db.drop();
    await t.close();
  }
});

Deno.test("test_connection on s3: a probe object is put and deleted; a missing bucket and a bad key are named", async () => {
  const t = await testApp();
  const s3 = await startS3();
  try {
    const u = await t.user();
    const dest = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      data: { name: "Archive", destinationType: "s3", ...s3.credentials, folder: "probe" },
    });
    assert.deepEqual(await askBoth(t, u, { id: dest.id }), { ok: true, destinationType: "s3" });
    assert.deepEqual(await s3.keys(), [], "the probe object is deleted");
    const missing = await askBoth(t, u, { id: dest.id, bucket: "no-such-bucket" });
    assert.equal(missing.step, "put_object");
    assert.match(
      missing.error,
      /^Cannot write to bucket "no-such-bucket" as access key "S3RVER": NoSuchBucket: The specified/,
    );
    const badKey = await askBoth(t, u, { destinationType: "s3", ...s3.credentials, accessKeyId: "WHO" });
    assert.match(badKey.error, /InvalidAccessKeyId/);
    const port = closedPort();
    const unreachable = await askBoth(t, u, {
      destinationType: "s3",
      ...s3.credentials,
      endpoint: `http://127.0.0.1:${port}`,
    });
    assert.equal(unreachable.step, "connect");
    assert.match(unreachable.error, /Cannot reach s3 at 127\.0\.0\.1:\d+: connection refused/);
  } finally {
    await s3.close();
    await t.close();
  }
});
