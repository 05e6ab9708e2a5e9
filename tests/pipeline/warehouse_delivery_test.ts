/** The pipeline delivers through a warehouse driver written against destinations/driver.ts. */
import assert from "node:assert/strict";
import postgres from "postgres";
import { queryEvents } from "../../src/events_log/events_log.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";
import { setupPipeline } from "./fixtures.ts";

Deno.test("[postgres] an ingested event lands as a row in a postgres destination, with bulker_stream status", async () => {
  const target = await freshPostgresDatabase();
  const t = await testApp();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const url = new URL(target.url);
    const s = await setupPipeline(u, {
      destination: {
        destinationType: "postgres",
        host: url.hostname,
        port: Number(url.port || 5432),
        sslMode: "disable",
        database: url.pathname.slice(1),
        username: decodeURIComponent(url.username) || "postgres",
        password: decodeURIComponent(url.password) || undefined,
      },
      functionCode: `export default (e) => ({ ...e, properties: { ...e.properties, via: "fn" } })`,
      // Stream mode: written as it comes (batch mode, the warehouse default, is batch_mode_test.ts).
      connectionData: { mode: "stream" },
    });
    const res = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: { event: "Order", messageId: "wh-1", userId: "u1", properties: { total: 12.5 } },
    });
    await expectJson(res, 200);
    await pipeline.drain();
    const entries = await queryEvents(t.deps.db, {
      workspaceId: u.workspace.id,
      type: "bulker_stream",
      actorId: s.connectionId,
    });
    assert.equal(entries.events.length, 1);
    const m = entries.events[0].message as { status: string; error?: string; target?: string };
    assert.equal(m.status, "SUCCESS", m.error);
    const sql = postgres(target.url, { max: 1, onnotice: () => {} });
    try {
      const tables =
        await sql`select table_name from information_schema.tables where table_schema = 'public'`;
      assert.ok(tables.length >= 1, "a table was created");
      const table = String(m.target ?? tables[0].table_name).split(",")[0].trim();
      const rows = await sql.unsafe(`select * from "${table}"`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].message_id, "wh-1");
      assert.equal(rows[0].via, "fn", "the function's output is what was written (properties flattened)");
      assert.equal(Number(rows[0].total), 12.5);
    } finally {
      await sql.end();
    }
  } finally {
    await pipeline.stop();
    await t.close();
    await target.drop();
  }
});
