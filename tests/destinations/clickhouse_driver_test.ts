/**
 * The ClickHouse driver against a real (throwaway) clickhouse-server: both modes, layouts, schema
 * evolution with ADD COLUMN, ReplacingMergeTree deduplication read with FINAL, ClickHouse's own error
 * text, the private-network rule and the cluster DDL.
 */
import assert from "node:assert/strict";
import {
  createTableSql,
  fromClickhouseType,
  serverFeatures,
} from "../../src/destinations/clickhouse/client.ts";
import { parseClickhouseCredentials } from "../../src/destinations/clickhouse/credentials.ts";
import { clickhouseDriver } from "../../src/destinations/clickhouse/driver.ts";
import type { WriteBatch } from "../../src/destinations/driver.ts";
import type { BulkerBatchEntry } from "../../src/destinations/warehouse/types.ts";
import { memoryLogger } from "../../src/log.ts";
import { clickhouseServer } from "../_helpers/clickhouse.ts";
import { trackEvent } from "./_targets.ts";

const server = await clickhouseServer();

function batchFor(
  credentials: Record<string, unknown>,
  events: Record<string, unknown>[],
  options: Record<string, unknown> = {},
  mode: "stream" | "batch" = "batch",
): WriteBatch {
  return {
    events,
    destination: { id: "dst1", type: "clickhouse", workspaceId: "ws1", credentials },
    connection: { id: "conn1", streamId: "s1", mode, options: { mode, ...options } },
    log: memoryLogger(),
    signal: new AbortController().signal,
  };
}

Deno.test("clickhouse driver writes a batch, streams single events, and evolves the table with ADD COLUMN", async () => {
  const db = await server.database();
  const batches: BulkerBatchEntry[][] = [];
  const driver = clickhouseDriver({ onBatch: (e) => void batches.push(e) });
  try {
    assert.deepEqual([...driver.modes], ["stream", "batch"]);
    const events = [trackEvent({ messageId: "a" }), trackEvent({ messageId: "b" }), {
      type: "track",
      event: "x",
    }];
    const results = await driver.write(batchFor(db.credentials, events));
    assert.deepEqual(results.map((r) => r.status), ["SUCCESS", "SUCCESS", "FAILED"]);
    assert.equal(results[0].target, "events");
    assert.match(results[2].error!, /message_id/);
    assert.equal(results[2].retryable, false);
    assert.equal(batches.length, 1);
    assert.equal(batches[0][0].processedRows, 2);
    const cols = await server.query(
      `SELECT name, type, is_in_primary_key AS pk FROM system.columns WHERE database = '${db.name}' AND table = 'events'`,
    );
    const types = Object.fromEntries(cols.map((c) => [c.name, c.type]));
    assert.equal(types.message_id, "String", "key columns are not Nullable");
    assert.equal(types.properties_total ?? types.total, "Nullable(Int64)");
    assert.equal(types.context_ip, "Nullable(String)");
    assert.match(String(types.timestamp), /^Nullable\(DateTime(64)?\(.*'UTC'\)\)$/);
    const engine = await server.query(
      `SELECT engine FROM system.tables WHERE database = '${db.name}' AND name = 'events'`,
    );
    assert.equal(engine[0].engine, "ReplacingMergeTree");

    // Stream mode, with a property the table has not seen: ALTER TABLE ADD COLUMN.
    const streamed = await driver.write(
      batchFor(
        db.credentials,
        [trackEvent({ messageId: "c", properties: { coupon: "X1", n: 1.5 } })],
        {},
        "stream",
      ),
    );
    assert.equal(streamed[0].status, "SUCCESS", streamed[0].error);
    const rows = await server.query(
      `SELECT message_id, coupon, n FROM ${db.name}.events FINAL ORDER BY message_id`,
    );
    assert.deepEqual(rows.map((r) => [r.message_id, r.coupon, r.n]), [["a", null, null], ["b", null, null], [
      "c",
      "X1",
      1.5,
    ]]);
    assert.equal(batches.length, 1, "stream mode logs no bulker_batch");

    // A type conflict widens the column (Int64 -> Float64 -> String), never loses the value.
    const widened = await driver.write(
      batchFor(db.credentials, [trackEvent({ messageId: "d", properties: { n: "many" } })]),
    );
    assert.equal(widened[0].status, "SUCCESS", widened[0].error);
    const n = await server.query(`SELECT n FROM ${db.name}.events FINAL WHERE message_id = 'd'`);
    assert.equal(n[0].n, "many");
  } finally {
    await driver.close?.();
    await db.drop();
  }
});

Deno.test("clickhouse driver deduplicates resends on message_id: ReplacingMergeTree, read with FINAL", async () => {
  const db = await server.database();
  const driver = clickhouseDriver();
  try {
    await driver.write(
      batchFor(db.credentials, [trackEvent({ messageId: "m1", properties: { plan: "pro" } })]),
    );
    await driver.write(
      batchFor(db.credentials, [trackEvent({ messageId: "m1", properties: { plan: "team" } })]),
    );
    // Inside one batch too: the last one wins.
    await driver.write(batchFor(db.credentials, [
      trackEvent({ messageId: "m2", properties: { plan: "a" } }),
      trackEvent({ messageId: "m2", properties: { plan: "b" } }),
    ]));
    const rows = await server.query(
      `SELECT message_id, plan FROM ${db.name}.events FINAL ORDER BY message_id`,
    );
    assert.deepEqual(rows.map((r) => [r.message_id, r.plan]), [["m1", "team"], ["m2", "b"]]);
  } finally {
    await driver.close?.();
    await db.drop();
  }
});

Deno.test("clickhouse driver with the catalog's key timestamp,message_id partitions by month", async () => {
  const db = await server.database();
  const driver = clickhouseDriver();
  try {
    const opts = { primaryKey: "timestamp,message_id" };
    await driver.write(
      batchFor(db.credentials, [trackEvent({ messageId: "a", properties: { v: 1 } })], opts),
    );
    const r = await driver.write(
      batchFor(db.credentials, [trackEvent({ messageId: "a", properties: { v: 2 } })], opts),
    );
    assert.equal(r[0].status, "SUCCESS", r[0].error);
    assert.deepEqual(r[0].representation?.primaryKeyFields, ["timestamp", "message_id"]);
    const rows = await server.query(`SELECT message_id, v FROM ${db.name}.events FINAL`);
    assert.deepEqual(rows.map((x) => [x.message_id, Number(x.v)]), [["a", 2]]);
    const t = await server.query(
      `SELECT partition_key, sorting_key FROM system.tables WHERE database = '${db.name}' AND name = 'events'`,
    );
    assert.deepEqual([t[0].partition_key, t[0].sorting_key], [
      "toYYYYMM(timestamp)",
      "timestamp, message_id",
    ]);
  } finally {
    await driver.close?.();
    await db.drop();
  }
});

Deno.test("clickhouse driver without deduplication uses MergeTree and keeps every row", async () => {
  const db = await server.database();
  const driver = clickhouseDriver();
  try {
    const r = await driver.write(
      batchFor(db.credentials, [trackEvent({ messageId: "k" }), trackEvent({ messageId: "k" })], {
        deduplicate: false,
        dataLayout: "segment",
      }),
    );
    assert.deepEqual(r.map((x) => x.status), ["SUCCESS", "SUCCESS"]);
    const tables = await server.query(
      `SELECT name, engine FROM system.tables WHERE database = '${db.name}' ORDER BY name`,
    );
    assert.deepEqual(tables.map((e) => [e.name, e.engine]), [["order_completed", "MergeTree"], [
      "tracks",
      "MergeTree",
    ]]);
    const rows = await server.query(`SELECT count() AS n FROM ${db.name}.tracks`);
    assert.equal(Number(rows[0].n), 2);
  } finally {
    await driver.close?.();
    await db.drop();
  }
});

Deno.test("clickhouse driver reports ClickHouse's own error text, and wrong credentials as retryable", async () => {
  const db = await server.database();
  const driver = clickhouseDriver();
  try {
    const bad = await driver.write(batchFor({ ...db.credentials, password: "wrong" }, [trackEvent()]));
    assert.equal(bad[0].status, "FAILED");
    assert.equal(bad[0].retryable, true);
    assert.match(
      bad[0].error!,
      /Code: 193\. DB::Exception: Wrong password for user sluice|Authentication failed/,
    );
    assert.ok(!bad[0].error!.includes("e.what()"), "the 18.x decoration is trimmed");
    assert.ok(!bad[0].error!.includes("wrong"), "the password is not in the message");

    // A column someone else made a type we do not write (an Array): the value moves to _unmapped_data.
    await driver.write(batchFor(db.credentials, [trackEvent({ messageId: "a" })]));
    await server.query(`ALTER TABLE ${db.name}.events ADD COLUMN weird Array(UInt8)`);
    const moved = await driver.write(
      batchFor(db.credentials, [trackEvent({ messageId: "b", properties: { weird: 5 } })]),
    );
    assert.equal(moved[0].status, "SUCCESS", moved[0].error);
    const row = await server.query(
      `SELECT _unmapped_data FROM ${db.name}.events FINAL WHERE message_id = 'b'`,
    );
    assert.deepEqual(JSON.parse(String(row[0]._unmapped_data)), { weird: 5 });

    // The table is dropped under the driver: the stale schema is reloaded and the write retried once.
    await server.query(`DROP TABLE ${db.name}.events`);
    const again = await driver.write(batchFor(db.credentials, [trackEvent({ messageId: "c" })]));
    assert.equal(again[0].status, "SUCCESS", again[0].error);

    const native = await driver.write(
      batchFor({ ...db.credentials, protocol: "clickhouse" }, [trackEvent()]),
    );
    assert.equal(native[0].retryable, false);
    assert.match(
      native[0].error!,
      /protocol: "clickhouse" \(the native protocol\) is not supported: use "https"/,
    );
  } finally {
    await driver.close?.();
    await db.drop();
  }
});

Deno.test("clickhouse driver refuses loopback when private networks are not allowed, and plain http to a public host", async () => {
  const db = await server.database();
  const closed = clickhouseDriver({ allowPrivateNetwork: false });
  const publicDns = clickhouseDriver({
    allowPrivateNetwork: true,
    resolve: () => Promise.resolve(["93.184.215.14"]),
  });
  try {
    const r = await closed.write(batchFor(db.credentials, [trackEvent()]));
    assert.equal(r[0].status, "FAILED");
    assert.match(r[0].error!, /non-public address .*DESTINATIONS_ALLOW_PRIVATE_NETWORK=true/);
    const p = await publicDns.write(
      batchFor({ ...db.credentials, hosts: ["ch.example.com:8123"] }, [trackEvent()]),
    );
    assert.match(
      p[0].error!,
      /plain http is only allowed to a private or loopback host; set protocol to "https"/,
    );
  } finally {
    await closed.close?.();
    await publicDns.close?.();
    await db.drop();
  }
});

Deno.test("clickhouse cluster DDL: ON CLUSTER with a Replicated engine; types read back; credentials checked", () => {
  const sql = createTableSql(
    { database: "db", cluster: "main", features: serverFeatures("24.3.1") },
    "events",
    [["message_id", "text"], ["timestamp", "timestamp"], ["n", "bigint"]],
    ["timestamp", "message_id"],
  );
  assert.equal(
    sql,
    "CREATE TABLE IF NOT EXISTS `db`.`events` ON CLUSTER `main` (`message_id` String, `timestamp` " +
      "DateTime64(6, 'UTC'), `n` Nullable(Int64)) ENGINE = ReplicatedReplacingMergeTree(" +
      "'/clickhouse/tables/{shard}/db/events', '{replica}') PARTITION BY toYYYYMM(`timestamp`) " +
      "ORDER BY (`timestamp`, `message_id`)",
  );
  assert.equal(fromClickhouseType("Nullable(DateTime64(6, 'UTC'))"), "timestamp");
  assert.equal(fromClickhouseType("LowCardinality(String)"), "text");
  assert.equal(fromClickhouseType("Array(String)"), "foreign");
  assert.throws(
    () => parseClickhouseCredentials({ hosts: ["a:8443", "b:8443"] }),
    /cluster: required when more/,
  );
  assert.throws(() => parseClickhouseCredentials({ hosts: ["a/b?c"] }), /hosts\.0: "a\/b\?c" is not a host/);
  assert.equal(
    parseClickhouseCredentials({ hosts: ["ch.example.com"] }).urls[0].href,
    "https://ch.example.com:8443/",
  );
});
