import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { Batcher, BatchNotCommittedError } from "../../src/destinations/warehouse/batcher.ts";
import { parseWarehouseOptions } from "../../src/destinations/warehouse/credentials.ts";
import { Warehouse, type WriteFaults } from "../../src/destinations/warehouse/warehouse.ts";
import type { WriteOutcome } from "../../src/destinations/warehouse/types.ts";
import { type Target, TARGETS, trackEvent } from "./_targets.ts";

async function count(t: Target, table = "events"): Promise<number> {
  try {
    return (await t.rows(table)).length;
  } catch {
    return 0; // table not created yet
  }
}

function batcherFor(t: Target, opts: { batchSize: number; frequencyMs: number; faults?: WriteFaults }) {
  const clock = fakeClock();
  const wh = new Warehouse(t.client, parseWarehouseOptions({ mode: "batch" }), {
    clock,
    faults: opts.faults,
  });
  const flushed: WriteOutcome[] = [];
  const batcher = new Batcher((events) => wh.write(events, "batch"), {
    batchSize: opts.batchSize,
    frequencyMs: opts.frequencyMs,
    clock,
    onFlush: (o) => void flushed.push(o),
  });
  return { clock, batcher, flushed };
}

for (const { name, open } of TARGETS) {
  Deno.test(`[${name}] Batcher flushes when batchSize events wait, in one transaction`, async () => {
    const t = await open();
    try {
      const { batcher, flushed } = batcherFor(t, { batchSize: 3, frequencyMs: 60_000 });
      const settled: boolean[] = [];
      const p1 = batcher.add(trackEvent()).then((o) => settled.push(o.ok));
      const p2 = batcher.add(trackEvent()).then((o) => settled.push(o.ok));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(settled.length, 0, "not acknowledged before the batch commits");
      assert.equal(await count(t), 0);
      assert.equal(batcher.size, 2);
      const p3 = batcher.add(trackEvent()).then((o) => settled.push(o.ok));
      await Promise.all([p1, p2, p3]);
      assert.deepEqual(settled, [true, true, true]);
      assert.equal(await count(t), 3);
      assert.equal(flushed.length, 1);
      assert.equal(flushed[0].batches[0].processedRows, 3);
      assert.equal(flushed[0].batches[0].status, "COMPLETED");
    } finally {
      await t.drop();
    }
  });

  Deno.test(`[${name}] Batcher flushes on time once the oldest event waited frequency`, async () => {
    const t = await open();
    try {
      const { clock, batcher } = batcherFor(t, { batchSize: 1000, frequencyMs: 5 * 60_000 });
      let done = false;
      const p = batcher.add(trackEvent()).then(() => (done = true));
      clock.advance(4 * 60_000);
      await batcher.tick();
      assert.equal(done, false);
      assert.equal(await count(t), 0);
      clock.advance(60_000);
      await batcher.tick();
      await p;
      assert.equal(done, true);
      assert.equal(await count(t), 1);
      assert.equal(batcher.size, 0);
    } finally {
      await t.drop();
    }
  });

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
      const failing = batcherFor(t, { batchSize: 6, frequencyMs: 60_000, faults: crash });
      const results = await Promise.allSettled(events.map((e) => failing.batcher.add(e)));
      assert.ok(results.every((r) => r.status === "rejected" && r.reason instanceof BatchNotCommittedError));
      assert.equal(failing.flushed[0].batches[0].status, "FAILED");
      assert.match(failing.flushed[0].batches[0].error!, /simulated crash/);
      assert.equal(await count(t), 0, "nothing of the aborted batch is visible");
      assert.equal(await count(t, "second"), 0);
      // The queue redelivers the unacknowledged events.
      const retry = batcherFor(t, { batchSize: 6, frequencyMs: 60_000 });
      await Promise.all(events.map((e) => retry.batcher.add(e)));
      assert.equal(await count(t), 5);
      assert.equal(await count(t, "second"), 1);
      // Committed but the acknowledgement was lost: delivered again, still once each.
      const again = batcherFor(t, { batchSize: 6, frequencyMs: 60_000 });
      await Promise.all(events.map((e) => again.batcher.add(e)));
      assert.equal(await count(t), 5);
      assert.equal(await count(t, "second"), 1);
    } finally {
      await t.drop();
    }
  });
}
