// Batch buffering (flush on batchSize / frequency) is the pipeline's job and is tested in
// tests/pipeline/batch_mode_test.ts; this file proves a batch is one transaction in the warehouse.
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { parseWarehouseOptions } from "../../src/destinations/warehouse/credentials.ts";
import { Warehouse, type WriteFaults } from "../../src/destinations/warehouse/warehouse.ts";
import { type Target, TARGETS, trackEvent } from "./_targets.ts";

async function count(t: Target, table = "events"): Promise<number> {
  try {
    return (await t.rows(table)).length;
  } catch {
    return 0; // table not created yet
  }
}

function warehouseFor(t: Target, faults?: WriteFaults) {
  return new Warehouse(t.client, parseWarehouseOptions({ mode: "batch" }), { clock: fakeClock(), faults });
}

for (const { name, open } of TARGETS) {
  Deno.test(`[${name}] a batch aborted mid-transaction stores nothing; the redelivery stores each event once`, async () => {
    const t = await open();
    try {
      const events = Array.from({ length: 5 }, () => trackEvent({ $table: undefined }));
      // Two tables, so the abort comes after the first table's rows were inserted in the transaction.
      events.push(trackEvent({ $table: "second" }));
      const crash: WriteFaults = {
        afterInsert(table) {
          if (table === "events") throw new Error("simulated crash");
        },
      };
      const failed = await warehouseFor(t, crash).write(events, "batch");
      assert.equal(failed.batches[0].status, "FAILED");
      assert.match(failed.batches[0].error!, /simulated crash/);
      assert.equal(await count(t), 0, "nothing of the aborted batch is visible");
      assert.equal(await count(t, "second"), 0);
      // The queue redelivers the unacknowledged events.
      const retried = await warehouseFor(t).write(events, "batch");
      assert.ok(retried.batches.every((b) => b.status === "COMPLETED"), JSON.stringify(retried.batches));
      assert.equal(await count(t), 5);
      assert.equal(await count(t, "second"), 1);
      // Committed but the acknowledgement was lost: delivered again, still once each.
      await warehouseFor(t).write(events, "batch");
      assert.equal(await count(t), 5);
      assert.equal(await count(t, "second"), 1);
    } finally {
      await t.drop();
    }
  });
}
