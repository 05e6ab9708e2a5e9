import assert from "node:assert/strict";
import { memoryLogger } from "../../src/log.ts";
import type { DestinationDriver, WriteBatch } from "../../src/destinations/driver.ts";
import { mysqlDriver } from "../../src/destinations/mysql.ts";
import { postgresDriver } from "../../src/destinations/postgres.ts";
import type { BulkerBatchEntry } from "../../src/destinations/warehouse/types.ts";
import type { WarehouseClient } from "../../src/destinations/warehouse/client.ts";
import { warehouseBackedDriver } from "../../src/destinations/warehouse/warehouse_driver.ts";
import { AppError } from "../../src/errors.ts";
import { batchLogEntries } from "../../src/destinations/warehouse/batch_log_entries.ts";
import { appendEvents, queryEvents } from "../../src/events_log/events_log.ts";
import { testPglite } from "../_helpers/db.ts";
import { fakePgRejectingPasswords } from "./_fake_pg.ts";
import { MYSQL_HOST, TARGETS, trackEvent } from "./_targets.ts";

function batchFor(
  credentials: Record<string, unknown>,
  events: Record<string, unknown>[],
  options: Record<string, unknown> = {},
  mode: "stream" | "batch" = "batch",
): WriteBatch {
  return {
    events,
    destination: { id: "dst1", type: "postgres", workspaceId: "ws1", credentials },
    connection: { id: "conn1", streamId: "s1", mode, options: { mode, ...options } },
    log: memoryLogger(),
    signal: new AbortController().signal,
  };
}

const DRIVERS: Record<string, (o: { onBatch: (e: BulkerBatchEntry[]) => void }) => DestinationDriver> = {
  postgres: postgresDriver,
  mysql: mysqlDriver,
};

for (const { name, open } of TARGETS) {
  Deno.test(`[${name}] driver write() returns one result per event and hands over bulker_batch entries`, async () => {
    const t = await open();
    const batches: BulkerBatchEntry[][] = [];
    const driver = DRIVERS[name]({ onBatch: (e) => void batches.push(e) });
    try {
      assert.equal(driver.type, name);
      assert.deepEqual([...driver.modes], ["stream", "batch"]);
      const events = [trackEvent({ messageId: "a" }), trackEvent({ messageId: "b" }), {
        type: "track",
        event: "no id",
      }];
      const results = await driver.write(batchFor(t.credentials, events));
      assert.equal(results.length, 3);
      assert.equal(results[0].status, "SUCCESS");
      assert.equal(results[0].target, "events");
      assert.equal((results[0].mappedData as Record<string, unknown>).message_id, "a");
      assert.equal(results[0].representation?.name, "events");
      assert.equal(results[2].status, "FAILED");
      assert.equal(results[2].retryable, false);
      assert.match(results[2].error!, /message_id/);
      assert.equal((await t.rows("events")).length, 2);
      assert.equal(batches.length, 1);
      assert.equal(batches[0][0].processedRows, 2);
      // Stream mode through the same pool, and a layout option that changes the tables.
      const streamed = await driver.write(
        batchFor(t.credentials, [trackEvent({ messageId: "c" })], { dataLayout: "segment" }, "stream"),
      );
      assert.equal(streamed[0].status, "SUCCESS");
      assert.equal(streamed[0].target, "tracks, order_completed");
      assert.equal(batches.length, 1, "stream mode logs per event only, no bulker_batch");
    } finally {
      await driver.close?.();
      await t.drop();
    }
  });
}

Deno.test("[mysql] driver write() with a wrong password fails every event, retryable, with a clear error", async () => {
  const driver = mysqlDriver();
  try {
    const creds = {
      host: MYSQL_HOST,
      database: "test",
      username: "root",
      password: "nope",
      parameters: { tls: "false" },
    };
    const results = await driver.write(batchFor(creds, [trackEvent(), trackEvent()]));
    assert.equal(results.length, 2);
    for (const r of results) {
      assert.equal(r.status, "FAILED");
      assert.equal(r.retryable, true);
      assert.equal(
        r.error,
        `Cannot write 2 rows to table events: Cannot connect to mysql at ${MYSQL_HOST}:3306: ` +
          `access denied for user "root" (wrong username or password)`,
      );
    }
    const test = await driver.test!(creds, { signal: new AbortController().signal });
    assert.deepEqual(test, {
      ok: false,
      error:
        `Cannot connect to mysql at ${MYSQL_HOST}:3306: access denied for user "root" (wrong username or password)`,
    });
  } finally {
    await driver.close?.();
  }
});

Deno.test("[postgres] driver write() with a wrong password fails every event, retryable, with a clear error", async () => {
  const fake = fakePgRejectingPasswords();
  const driver = postgresDriver();
  try {
    const creds = {
      host: "127.0.0.1",
      port: fake.port,
      database: "test",
      password: "nope",
      sslMode: "disable",
    };
    const results = await driver.write(batchFor(creds, [trackEvent()]));
    assert.equal(results[0].status, "FAILED");
    assert.equal(results[0].retryable, true);
    assert.match(
      results[0].error!,
      /^Cannot write 1 rows to table events: Cannot connect to postgres at 127\.0\.0\.1:\d+: password authentication failed for user "postgres"/,
    );
  } finally {
    await driver.close?.();
    fake.close();
  }
});

Deno.test("driver write() rejects invalid credentials without retrying", async () => {
  const driver = postgresDriver();
  const results = await driver.write(batchFor({ host: "" }, [trackEvent()]));
  assert.equal(results[0].status, "FAILED");
  assert.equal(results[0].retryable, false);
  assert.match(results[0].error!, /^Invalid postgres credentials: .*host/);
  await driver.close?.();
});

Deno.test("batchLogEntries() puts bulker_batch on the connection, failed batches at level error", () => {
  const entry = (status: "COMPLETED" | "FAILED"): BulkerBatchEntry => ({
    representation: { name: "events", schema: {} },
    status,
    mode: "batch",
    processedRows: 2,
    processedBytes: 10,
    successfulRows: status === "FAILED" ? 0 : 2,
    processingTimeSec: 0.1,
  });
  const b = batchFor({}, []);
  const out = batchLogEntries([entry("COMPLETED"), entry("FAILED")], b);
  assert.deepEqual(out.map((e) => [e.workspaceId, e.actorId, e.type, e.level]), [
    ["ws1", "conn1", "bulker_batch", "info"],
    ["ws1", "conn1", "bulker_batch", "error"],
  ]);
  assert.equal((out[1].message as BulkerBatchEntry).status, "FAILED");
});

Deno.test("[mysql] a wrong password reaches Live Events as a bulker_batch error, found by levels=error", async () => {
  const db = await testPglite();
  const driver = mysqlDriver({ onBatch: (entries, b) => appendEvents(db, batchLogEntries(entries, b)) });
  try {
    const creds = {
      host: MYSQL_HOST,
      database: "test",
      username: "root",
      password: "nope",
      sslMode: "disable",
    };
    await driver.write(batchFor(creds, [trackEvent()]));
    const { events } = await queryEvents(db, {
      workspaceId: "ws1",
      actorId: "conn1",
      type: "bulker_batch",
      levels: ["error"],
    });
    assert.equal(events.length, 1);
    const message = events[0].message as BulkerBatchEntry;
    assert.equal(message.status, "FAILED");
    assert.match(message.error!, /access denied for user "root" \(wrong username or password\)/);
    const info = await queryEvents(db, {
      workspaceId: "ws1",
      actorId: "conn1",
      type: "bulker_batch",
      levels: ["info"],
    });
    assert.equal(info.events.length, 0);
  } finally {
    await driver.close?.();
    await db.close();
  }
});

Deno.test("warehouseBackedDriver keeps one pool per workspace and destination, and closes a replaced one", async () => {
  const opened: string[] = [];
  const closed: string[] = [];
  const driver = warehouseBackedDriver({
    type: "fake",
    connect(credentials) {
      const key = String(credentials.database);
      return {
        key,
        open() {
          opened.push(key);
          return Promise.resolve({ close: () => void closed.push(key) } as unknown as WarehouseClient);
        },
      };
    },
    test: () => Promise.resolve({ ok: true }),
  });
  // Destination ids are unique per workspace only: "dst1" of ws1 and of ws2 are two destinations.
  const write = (workspaceId: string, database: string) =>
    driver.write({
      ...batchFor({ database }, []),
      destination: { id: "dst1", type: "fake", workspaceId, credentials: { database } },
    });
  for (let round = 0; round < 3; round++) {
    await write("ws1", "a");
    await write("ws2", "b");
  }
  assert.deepEqual(opened, ["a", "b"], "interleaved writes of two workspaces reuse their own pools");
  assert.deepEqual(closed, []);
  await write("ws1", "a2");
  assert.deepEqual(opened, ["a", "b", "a2"]);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(closed, ["a"], "changed credentials close the old pool");
  await driver.close?.();
  assert.deepEqual(closed.sort(), ["a", "a2", "b"]);
});

Deno.test("warehouseBackedDriver: bad settings fail for good, an unreachable server for now, in the backend's words", async () => {
  const driver = warehouseBackedDriver({
    type: "fake",
    connect(credentials) {
      if (!credentials.database) throw new AppError("bad_request", 'field "database" is required');
      return {
        key: "k",
        open: () => Promise.reject(new Error("ECONNREFUSED")),
        describeError: (e) => Promise.resolve(`Cannot reach the server: ${(e as Error).message}`),
      };
    },
    test: () => Promise.resolve({ ok: true }),
  });
  const events = [{ type: "track" }, { type: "track" }];
  const bad = await driver.write({ ...batchFor({}, events) });
  assert.deepEqual(bad.map((r) => [r.status, r.retryable]), [["FAILED", false], ["FAILED", false]]);
  assert.match(bad[0].error!, /field "database" is required/);
  const down = await driver.write({ ...batchFor({ database: "x" }, events) });
  assert.deepEqual(down.map((r) => [r.status, r.retryable]), [["FAILED", true], ["FAILED", true]]);
  assert.equal(down[0].error, "Cannot reach the server: ECONNREFUSED");
  await driver.close?.();
});
