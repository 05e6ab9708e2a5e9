import assert from "node:assert/strict";
import { parseWarehouseOptions } from "../../src/destinations/warehouse/credentials.ts";
import { Warehouse } from "../../src/destinations/warehouse/warehouse.ts";
import { runUntilThenKill } from "../_helpers/process.ts";
import { type Target, TARGETS, trackEvent } from "./_targets.ts";

const CHILD = new URL("./_crash_child.ts", import.meta.url).pathname;

/** Starts the child, waits for `marker` on its stdout, then SIGKILLs it. */
async function runAndKill(t: Target, events: unknown[], stop: string, marker: string): Promise<void> {
  await runUntilThenKill(
    [CHILD, t.kind, JSON.stringify(t.credentials), JSON.stringify(events), stop],
    marker,
  );
}

for (const { name, open } of TARGETS) {
  Deno.test(`[${name}] a process killed mid-batch loses nothing and duplicates nothing after restart`, async () => {
    const t = await open();
    try {
      const events = Array.from({ length: 50 }, () => trackEvent());
      await runAndKill(t, events, "mid-transaction", "inserted");
      assert.equal((await t.rows("events")).length, 0, "the killed transaction left no rows");
      // Restart: the queue still holds every event (none was acknowledged) and delivers them again.
      const wh = new Warehouse(t.client, parseWarehouseOptions({ mode: "batch" }));
      assert.equal((await wh.write(events)).committed, true);
      assert.equal((await t.rows("events")).length, 50);
      // Killed after COMMIT but before the acknowledgement: redelivered, still 50.
      await runAndKill(t, events, "after-commit", "committed");
      assert.equal((await wh.write(events)).committed, true);
      const rows = await t.rows("events");
      assert.equal(rows.length, 50);
      assert.equal(new Set(rows.map((r) => r.message_id)).size, 50);
    } finally {
      await t.drop();
    }
  });
}
