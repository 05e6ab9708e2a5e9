import assert from "node:assert/strict";
import { parseWarehouseOptions } from "../../src/destinations/warehouse/credentials.ts";
import { Warehouse } from "../../src/destinations/warehouse/warehouse.ts";
import { type Target, TARGETS, trackEvent } from "./_targets.ts";

const CHILD = new URL("./_crash_child.ts", import.meta.url).pathname;

/** Starts the child, waits for `marker` on its stdout, then SIGKILLs it. */
async function runAndKill(t: Target, events: unknown[], stop: string, marker: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, t.kind, JSON.stringify(t.credentials), JSON.stringify(events), stop],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  try {
    while (!seen.includes(marker)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
  }
  assert.ok(seen.includes(marker), `child said: ${seen}`);
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
