/** POST /api/{ws}/config/destination/test and the test_connection tool, on stored and given credentials. */
import assert from "node:assert/strict";
import { testConnectionTool } from "../../src/mcp/tools/test_connection.ts";
import { createResource } from "../../src/services/resources.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { MYSQL_HOST, mysqlTarget, pgTarget } from "../destinations/_targets.ts";

const MASKED = "__MASKED_BY_JITSU__";

Deno.test("POST /api/{ws}/config/destination/test checks a stored postgres destination and given fields", async () => {
  const t = await testApp();
  const pg = await pgTarget();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const dest = await createResource(u.ctx, {
      workspaceId: ws,
      type: "destination",
      data: { name: "Warehouse", destinationType: "postgres", ...pg.credentials },
    });
    const post = (json: unknown) =>
      t.request(`/api/${ws}/config/destination/test`, {
        method: "POST",
        headers: { authorization: u.auth },
        json,
      });
    assert.deepEqual(await expectJson(await post({ id: dest.id }), 200), {
      ok: true,
      destinationType: "postgres",
    });
    const unsaved = await expectJson(
      await post({ destinationType: "postgres", ...pg.credentials, database: "sluice_nope" }),
      200,
    );
    assert.deepEqual(unsaved, {
      ok: false,
      destinationType: "postgres",
      step: "connect",
      error:
        `Cannot connect to postgres at ${pg.credentials.host}:5432: database "sluice_nope" does not exist`,
    });
    const override = await expectJson(await post({ id: dest.id, sslMode: "require" }), 200);
    assert.equal(override.ok, false);
    assert.match(override.error, /does not support TLS but sslMode is "require"/);
    const none = await expectJson(await post({}), 400);
    assert.match(JSON.stringify(none), /give id \(a stored destination\) or config/);
    const bigquery = await expectJson(
      await post({ destinationType: "bigquery", project: "p", bqDataset: "d", keyFile: "{}" }),
      400,
    );
    assert.match(
      JSON.stringify(bigquery),
      /destination type \\"bigquery\\" has no connection test; testable types: postgres, mysql, clickhouse, s3, webhook, devnull, mixpanel/,
    );
    const missing = await expectJson(await post({ id: "nope" }), 404);
    assert.match(JSON.stringify(missing), /destination \\"nope\\" not found/);
    const anon = await t.request(`/api/${ws}/config/destination/test`, {
      method: "POST",
      json: { id: dest.id },
    });
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
  } finally {
    await pg.drop();
    await t.close();
  }
});

Deno.test("POST /api/{ws}/config/destination/test refuses a masked password sent to another host", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const dest = await createResource(u.ctx, {
      workspaceId: ws,
      type: "destination",
      data: {
        name: "Warehouse",
        destinationType: "postgres",
        host: "db.internal",
        database: "a",
        username: "u",
        password: "pg-secret-Zq81",
      },
    });
    const res = await t.request(`/api/${ws}/config/destination/test`, {
      method: "POST",
      headers: { authorization: u.auth },
      json: { id: dest.id, host: "attacker.example", password: MASKED },
    });
    const body = await expectJson(res, 400);
    assert.match(
      JSON.stringify(body),
      /config.password: masked, but host changed: re-enter the secret to send it to the new target/,
    );
    assert.ok(!JSON.stringify(body).includes("pg-secret-Zq81"));
  } finally {
    await t.close();
  }
});

Deno.test("test_connection tool resolves a masked password from the stored mysql destination", async () => {
  const t = await testApp();
  const my = await mysqlTarget();
  const user = `${my.name}_t`.slice(0, 32);
  try {
    await my.client.query(`create user '${user}'@'127.0.0.1' identified by 's3cret-pw'`);
    await my.client.query(`grant all on ${my.client.quote(my.name)}.* to '${user}'@'127.0.0.1'`);
    const u = await t.user();
    const ws = u.workspace.id;
    const fields = { host: MYSQL_HOST, port: 3306, database: my.name, username: user, sslMode: "disable" };
    const dest = await createResource(u.ctx, {
      workspaceId: ws,
      type: "destination",
      data: { name: "Maria", destinationType: "mysql", ...fields, password: "s3cret-pw" },
    });
    const tool = testConnectionTool();
    const ok = await tool.call(u.ctx, { workspaceId: ws, id: dest.id, config: { password: MASKED } });
    assert.equal(ok.isError, undefined);
    assert.deepEqual(ok.structuredContent, { ok: true, destinationType: "mysql" });
    const wrong = await tool.call(u.ctx, { workspaceId: ws, id: dest.id, config: { password: "not-it" } });
    assert.deepEqual(wrong.structuredContent, {
      ok: false,
      destinationType: "mysql",
      step: "connect",
      error:
        `Cannot connect to mysql at ${MYSQL_HOST}:3306: access denied for user "${user}" (wrong username or password)`,
    });
    const unsavedMasked = await tool.call(u.ctx, {
      workspaceId: ws,
      config: { destinationType: "mysql", ...fields, password: MASKED },
    });
    assert.equal(unsavedMasked.isError, true);
    assert.match(
      JSON.stringify(unsavedMasked.content),
      /config.password: masked, but no value is stored here/,
    );
  } finally {
    await my.client.query(`drop user if exists '${user}'@'127.0.0.1'`);
    await my.drop();
    await t.close();
  }
});
