import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import type { DestinationDriver } from "../../src/destinations/driver.ts";
import { defaultDrivers } from "../../src/pipeline/drivers.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { type TestApp, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { pgTarget } from "../destinations/_targets.ts";
import { afterQueries, batchStream, send } from "./_batch_fixtures.ts";

const MINUTE = 60_000;
async function batchRows(t: TestApp): Promise<number> {
  const r = await t.deps.db.query<{ n: number }>("select count(*)::int as n from event_queue where batch");
  return Number(r[0].n);
}
const LOOK = "count(*)::int as n, min(available_at) as oldest";
const COMMIT = "with gone as (";

/**
 * A batch pass ends while a chunk's commit parks the row that fills a batch: the pass's last look at "look
 * again" and its end must be one step, or the flag is set for a pass that is over and the full batch waits
 * for the next timed check (here ten minutes away). The commit is let go a few microtasks after the pass's
 * look; which count hits the gap depends on the code's await depth (4 did when this was written), so 0-8
 * are tried.
 */
const HOPS = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const FIRST: string = "look"; // which held result is released first

for (const hops of HOPS) {
  Deno.test(`a chunk filling a batch as a pass ends (${hops} microtasks after its look): the batch is written`, async () => {
    const t = await testApp({ db: await testPostgres(), env: {}, clock: fakeClock() });
    const wh = await pgTarget();
    const batches: number[] = [];
    const fake: DestinationDriver = {
      type: "postgres",
      modes: ["stream", "batch"],
      write(batch) {
        batches.push(batch.events.length);
        return Promise.resolve(batch.events.map(() => ({ status: "SUCCESS" as const })));
      },
    };
    let armLook = false, armCommit = false;
    let lookHeld: (() => void) | null = null, commitHeld: (() => void) | null = null;
    let releaseLook!: () => void, releaseCommit!: () => void;
    const lookGate = new Promise<void>((r) => releaseLook = r);
    const commitGate = new Promise<void>((r) => releaseCommit = r);
    const db = afterQueries(t.deps.db, async (sql) => {
      if (armLook && sql.includes(LOOK)) {
        armLook = false;
        lookHeld = () => {};
        await lookGate;
        if (FIRST !== "look") { for (let i = 0; i < hops; i++) await null; }
      } else if (armCommit && sql.startsWith(COMMIT)) {
        armCommit = false;
        commitHeld = () => {};
        await commitGate;
        if (FIRST === "look") { for (let i = 0; i < hops; i++) await null; }
      }
    });
    const drivers = new Map(defaultDrivers(t.deps)).set("postgres", fake);
    const pipeline = new Pipeline({ ...t.deps, db }, {
      workers: 0,
      pollMs: 10 * MINUTE,
      batchCheckMs: 10 * MINUTE,
      drivers,
    });
    try {
      const key = await batchStream(t, wh, true);
      await send(t, key, 4);
      await pipeline.runOnce(); // parks 4; first batch check looks, leaves 4
      assert.equal(await batchRows(t), 4);
      assert.deepEqual(batches, []);
      await send(t, key, 1);
      armLook = true;
      const p1 = pipeline.flushBatches(); // a pass (as the loops' timed check or another chunk starts one)
      while (!lookHeld) await new Promise((r) => setTimeout(r, 2));
      armCommit = true;
      const p2 = pipeline.runOnce(); // the chunk that parks the 5th row
      while (!commitHeld) await new Promise((r) => setTimeout(r, 2));
      if (FIRST === "look") {
        releaseLook();
        releaseCommit();
      } else {
        releaseCommit();
        releaseLook();
      }
      await p1;
      await p2;
      const until = Date.now() + 1500;
      while (batches.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        batches,
        [5],
        `5 parked rows (batchSize 5) left waiting; ${await batchRows(t)} batch rows queued`,
      );
    } finally {
      releaseLook();
      releaseCommit();
      await pipeline.stop();
      await wh.drop();
      await t.close();
    }
  });
}
