/**
 * `ctx.getWarehouse(destinationId).query(sql, params)`: a function queries its workspace's PostgreSQL
 * destination through the host (with the function's time limit); another workspace's destination is
 * not found.
 */
import assert from "node:assert/strict";
import { createResource } from "../../src/services/resources.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";

function pgDestination(url: string): Record<string, unknown> {
  const u = new URL(url);
  return {
    name: "warehouse",
    destinationType: "postgres",
    host: u.hostname,
    port: Number(u.port || 5432),
    sslMode: "disable",
    database: u.pathname.slice(1),
    username: decodeURIComponent(u.username) || "postgres",
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

// Jitsu-style: look a value up in the warehouse and attach it to the event.
const LOOKUP = (destinationId: string) =>
  `export default async function (event, { getWarehouse, log }) {
  const wh = getWarehouse(${JSON.stringify(destinationId)});
  try {
    const rows = await wh.query("select $1::int + 1 as next, 'pg' as via", [event.properties.n]);
    return { ...event, properties: { ...event.properties, next: rows[0].next, via: rows[0].via } };
  } catch (e) {
    log.warn("lookup failed", e.message);
    return { ...event, properties: { ...event.properties, error: e.message } };
  }
}`;

Deno.test("ctx.getWarehouse(id).query() runs on the workspace's PostgreSQL destination; other workspaces' are not found", async () => {
  const target = await freshPostgresDatabase();
  const t = await testApp({ env: { FUNCTIONS_TIMEOUT_MS: "1000" } });
  try {
    const a = await t.user();
    const b = await t.user();
    const dest = await createResource(a.ctx, {
      workspaceId: a.workspace.id,
      type: "destination",
      data: pgDestination(target.url),
    }) as { id: string };
    const run = (u: typeof a, code: string) =>
      t.request(`/api/${u.workspace.id}/function/run`, {
        method: "POST",
        headers: { authorization: u.auth },
        json: { code, event: { type: "track", properties: { n: 41 } } },
      });
    const mine = await expectJson(await run(a, LOOKUP(dest.id)), 200);
    assert.equal(mine.error, null, JSON.stringify(mine.error));
    assert.deepEqual(mine.result.properties, { n: 41, next: 42, via: "pg" });

    const theirs = await expectJson(await run(b, LOOKUP(dest.id)), 200);
    assert.match(theirs.result.properties.error, /no PostgreSQL or MySQL destination with this id/);
    const unknown = await expectJson(await run(b, LOOKUP("no-such-destination")), 200);
    assert.equal(
      unknown.result.properties.error.replace("no-such-destination", dest.id),
      theirs.result.properties.error,
      "another workspace's destination answers exactly as an unknown id",
    );

    const slow = await expectJson(
      await run(
        a,
        `export default async function (event, { getWarehouse }) {
  try { await getWarehouse(${
          JSON.stringify(dest.id)
        }).query("select pg_sleep(5)", []); return { ...event, slept: true }; }
  catch (e) { return { ...event, error: e.message }; }
}`,
      ),
      200,
    );
    assert.ok(slow.result.error, JSON.stringify(slow));
    assert.match(slow.result.error, /did not finish within 900 ms/);
  } finally {
    await t.close();
    await target.drop();
  }
});
