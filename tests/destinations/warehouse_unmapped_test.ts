/**
 * `_unmapped_data` on every SQL store, through the real drivers: the column where values that fit no
 * column are kept as JSON, and a user property that flattens to the same name (`_unmapped_data`,
 * `_unmapped.data`), which must be stored as an ordinary value, never taken for the core's own JSON.
 */
import assert from "node:assert/strict";
import { clickhouseDriver } from "../../src/destinations/clickhouse/driver.ts";
import type { DestinationDriver, WriteBatch, WriteResult } from "../../src/destinations/driver.ts";
import { mysqlDriver } from "../../src/destinations/mysql.ts";
import { postgresDriver } from "../../src/destinations/postgres.ts";
import { memoryLogger } from "../../src/log.ts";
import { clickhouseServer } from "../_helpers/clickhouse.ts";
import { TARGETS, trackEvent } from "./_targets.ts";

const clickhouse = await clickhouseServer();

/** A throwaway store with its driver, read back as plain rows. */
interface Store {
  credentials: Record<string, unknown>;
  driver: DestinationDriver;
  /** The rows of `events`, ordered by message_id (ClickHouse: read with FINAL). */
  rows(): Promise<Record<string, unknown>[]>;
  /** The store's own type of a column of `events`. */
  columnType(column: string): Promise<string>;
  /** Adds a column of a type Sluice does not manage (so its values that do not fit move aside). */
  addForeignColumn(column: string): Promise<void>;
  close(): Promise<void>;
}

const STORES: { name: string; type: string; open: () => Promise<Store> }[] = [
  ...TARGETS.map(({ name, open }) => ({
    name,
    type: name,
    async open(): Promise<Store> {
      const t = await open();
      const driver = name === "postgres" ? postgresDriver() : mysqlDriver();
      return {
        credentials: t.credentials,
        driver,
        rows: () => t.rows("events"),
        columnType: async (c) => (await t.columns("events"))[c],
        async addForeignColumn(c) {
          const type = name === "postgres" ? "integer" : "int";
          await t.client.query(
            `alter table ${t.client.table("events")} add column ${t.client.quote(c)} ${type}`,
          );
        },
        async close() {
          await driver.close?.();
          await t.drop();
        },
      };
    },
  })),
  {
    name: "clickhouse",
    type: "clickhouse",
    async open(): Promise<Store> {
      const db = await clickhouse.database();
      const driver = clickhouseDriver();
      return {
        credentials: db.credentials,
        driver,
        rows: () => clickhouse.query(`SELECT * FROM ${db.name}.events FINAL ORDER BY message_id`),
        async columnType(c) {
          const rows = await clickhouse.query(
            `SELECT type FROM system.columns WHERE database = '${db.name}' AND table = 'events' AND name = '${c}'`,
          );
          return String(rows[0]?.type);
        },
        async addForeignColumn(c) {
          await clickhouse.query(`ALTER TABLE ${db.name}.events ADD COLUMN ${c} Array(UInt8)`);
        },
        async close() {
          await driver.close?.();
          await db.drop();
        },
      };
    },
  },
];

function batchFor(
  type: string,
  credentials: Record<string, unknown>,
  events: Record<string, unknown>[],
  mode: "stream" | "batch" = "batch",
): WriteBatch {
  return {
    events,
    destination: { id: "dst1", type, workspaceId: "ws1", credentials },
    connection: { id: "conn1", streamId: "s1", mode, options: { mode } },
    log: memoryLogger(),
    signal: new AbortController().signal,
  };
}

function assertSuccess(results: WriteResult[]): void {
  for (const r of results) assert.equal(r.status, "SUCCESS", r.error);
}

/** A JSON column's value as read back: text on MySQL and ClickHouse, parsed already by postgres.js. */
function json(x: unknown): unknown {
  return typeof x === "string" ? JSON.parse(x) : x;
}

for (const { name, type, open } of STORES) {
  Deno.test(`[${name}] a property that flattens to _unmapped_data is stored as an ordinary value`, async () => {
    const s = await open();
    try {
      const events = [
        trackEvent({ messageId: "m1", properties: { _unmapped_data: "x" } }),
        trackEvent({ messageId: "m2", properties: { _unmapped: { data: 2 } } }),
        trackEvent({ messageId: "m3", properties: { _unmapped_data: [1, 2] } }),
        trackEvent({ messageId: "m4", properties: { _unmapped_data: { a: 1 } } }),
        trackEvent({ messageId: "m5", _unmapped_data: true }),
      ];
      const results = await s.driver.write(batchFor(type, s.credentials, events));
      assertSuccess(results);
      const mapped = results.map((r) => (r.mappedData as Record<string, unknown>)._unmapped_data);
      assert.deepEqual(mapped, ["x", 2, [1, 2], undefined, true], "Live Events show the values as sent");
      // A string, a number, an array and a boolean in one column: it is widened to text, as any other.
      assert.match(await s.columnType("_unmapped_data"), /text|String/);
      const rows = await s.rows();
      assert.deepEqual(rows.map((r) => r._unmapped_data), ["x", "2", "[1,2]", null, "true"]);
      assert.equal(Number(rows[3]._unmapped_data_a), 1);

      // Single events in stream mode: the second of the same shape is mapped by its compiled mapper.
      const alone = [1, 2].map((i) =>
        trackEvent({ messageId: `n${i}`, properties: { _unmapped: { data: i } } })
      );
      for (const e of alone) {
        assertSuccess(await s.driver.write(batchFor(type, s.credentials, [e], "stream")));
      }
      const again = await s.rows();
      assert.deepEqual(again.slice(5).map((r) => [r.message_id, r._unmapped_data]), [["n1", "1"], [
        "n2",
        "2",
      ]]);
    } finally {
      await s.close();
    }
  });

  Deno.test(`[${name}] a value that fits no column goes to _unmapped_data, with the row's own _unmapped_data`, async () => {
    const s = await open();
    try {
      // The first row makes `_unmapped_data` a number column, from a user property.
      const first = trackEvent({ messageId: "a", properties: { _unmapped: { data: 1 } } });
      assertSuccess(await s.driver.write(batchFor(type, s.credentials, [first])));
      assert.match(await s.columnType("_unmapped_data"), /bigint|Int64/);
      await s.addForeignColumn("legacy");
      const events = [
        trackEvent({ messageId: "b", properties: { legacy: "nope", _unmapped: { data: 5 } } }),
        trackEvent({ messageId: "c", properties: { legacy: "nope too" } }),
        trackEvent({ messageId: "d", properties: { _unmapped_data: [7] } }),
      ];
      const results = await s.driver.write(batchFor(type, s.credentials, events));
      assertSuccess(results);
      // The column now holds JSON objects as well: widened to text, the earlier number kept.
      assert.match(await s.columnType("_unmapped_data"), /text|String/);
      const rows = await s.rows();
      assert.deepEqual(rows.map((r) => r.message_id), ["a", "b", "c", "d"]);
      assert.equal(rows[0]._unmapped_data, "1");
      assert.deepEqual(json(rows[1]._unmapped_data), { legacy: "nope", _unmapped_data: 5 });
      assert.deepEqual(json(rows[2]._unmapped_data), { legacy: "nope too" });
      assert.equal(rows[3]._unmapped_data, "[7]");
      assert.deepEqual(
        results.map((r) => (r.mappedData as Record<string, unknown>)._unmapped_data),
        ['{"legacy":"nope","_unmapped_data":5}', '{"legacy":"nope too"}', [7]],
      );
    } finally {
      await s.close();
    }
  });

  Deno.test(`[${name}] an event whose key fits no key column fails alone, never stored under another key`, async () => {
    const s = await open();
    try {
      // The first event makes message_id a number column (the key).
      assertSuccess(await s.driver.write(batchFor(type, s.credentials, [trackEvent({ messageId: 1 })])));
      assert.match(await s.columnType("message_id"), /bigint|Int64/);
      const events = ["abc", "def", 2].map((messageId) => trackEvent({ messageId }));
      const results = await s.driver.write(batchFor(type, s.credentials, events));
      assert.deepEqual(results.map((r) => [r.status, r.retryable]), [
        ["FAILED", false],
        ["FAILED", false],
        ["SUCCESS", undefined],
      ]);
      assert.match(results[0].error!, /key column "message_id" .* cannot hold "abc"/);
      assert.match(results[1].error!, /cannot hold "def"/);
      assert.deepEqual((await s.rows()).map((r) => String(r.message_id)), ["1", "2"]);
    } finally {
      await s.close();
    }
  });
}
