/**
 * Large ClickHouse inserts are sent as a stream encoded while it is sent: against a real (throwaway)
 * clickhouse-server, a whole stream inserts every row, a batch of many rows through the driver lands
 * in full, and a stream cut short between chunks inserts nothing (the server sees a broken last row,
 * not a shorter insert).
 */
import assert from "node:assert/strict";
import { JsonRowsWriter } from "../../src/destinations/clickhouse/json_rows.ts";
import { clickhouseDriver } from "../../src/destinations/clickhouse/driver.ts";
import type { WriteBatch } from "../../src/destinations/driver.ts";
import type { ExistingType, FlatRow, FlatValue } from "../../src/destinations/warehouse/types.ts";
import { memoryLogger } from "../../src/log.ts";
import { clickhouseServer } from "../_helpers/clickhouse.ts";
import { trackEvent } from "./_targets.ts";

const server = await clickhouseServer();

function encode(value: FlatValue, _type: ExistingType) {
  return typeof value === "object" ? JSON.stringify(value) : value;
}

/** 5,000 rows of about 300 bytes: several 256 KB chunks. */
function rows(): FlatRow[] {
  return Array.from({ length: 5000 }, (_, i) => ({ a: `row-${i}-${"x".repeat(280)}`, n: i }));
}

async function count(db: string): Promise<number> {
  const [row] = await server.query(`SELECT count() AS c FROM ${db}.t`);
  return Number(row.c);
}

async function send(db: string, body: ReadableStream<Uint8Array>): Promise<unknown> {
  const query = encodeURIComponent(`INSERT INTO ${db}.t (a, n) FORMAT JSONEachRow`);
  try {
    const res = await fetch(`http://${server.host}/?query=${query}`, { method: "POST", body });
    return await res.text();
  } catch (e) {
    return e;
  }
}

Deno.test("a streamed JSONEachRow part inserts every row; cut short between chunks it inserts none", async () => {
  const db = await server.database();
  try {
    await server.query(
      `CREATE TABLE ${db.name}.t (a String, n Nullable(Int64)) ENGINE = MergeTree ORDER BY a`,
    );
    const writer = new JsonRowsWriter(encode, {
      isoTimestamps: true,
      wholeSeconds: String,
      rowsPerInsert: 100_000,
    });
    const all = rows();
    const whole = writer.write(["a", "n"], ["text", "bigint"], all, all.map(() => undefined));
    const stream = whole.data(0);
    assert.ok(stream instanceof ReadableStream, "more than 2,000 rows are streamed");
    await send(db.name, stream);
    assert.equal(await count(db.name), 5000);
    assert.ok(whole.bytes > 1_000_000);

    // The same rows again, the stream failing after its second chunk (as an abort or a lost
    // connection would end it): nothing of it may be inserted.
    await server.query(`TRUNCATE TABLE ${db.name}.t`);
    const again = writer.write(["a", "n"], ["text", "bigint"], all, all.map(() => undefined));
    const reader = (again.data(0) as ReadableStream<Uint8Array>).getReader();
    let chunks = 0;
    const cut = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await reader.read();
        if (done || ++chunks > 2) return controller.error(new Error("connection lost"));
        controller.enqueue(value);
      },
    });
    const outcome = await send(db.name, cut);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await count(db.name), 0, `cut stream answered ${String(outcome)}`);
  } finally {
    await db.drop();
  }
});

Deno.test("clickhouse driver loads a batch of 12,000 events through a streamed insert", async () => {
  const db = await server.database();
  const driver = clickhouseDriver();
  try {
    const events = Array.from({ length: 12_000 }, (_, i) => trackEvent({ messageId: `big-${i}` }));
    const batch: WriteBatch = {
      events,
      destination: { id: "dst-stream", type: "clickhouse", workspaceId: "ws1", credentials: db.credentials },
      connection: { id: "conn1", streamId: "s1", mode: "batch", options: { mode: "batch" } },
      log: memoryLogger(),
      signal: new AbortController().signal,
    };
    const results = await driver.write(batch);
    assert.ok(
      results.every((r) => r.status === "SUCCESS"),
      JSON.stringify(results.find((r) => r.status !== "SUCCESS")),
    );
    const [row] = await server.query(
      `SELECT count() AS c, uniqExact(message_id) AS u FROM ${db.name}.events FINAL`,
    );
    assert.equal(Number(row.c), 12_000);
    assert.equal(Number(row.u), 12_000);
  } finally {
    await driver.close?.();
    await db.drop();
  }
});
