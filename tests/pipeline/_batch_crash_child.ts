/**
 * Child process for batch_mode_test.ts: one Sluice instance on the shared store that flushes the due
 * batch through a PostgreSQL driver which stops forever at a chosen point, so the parent can SIGKILL
 * it there. Args: store URL, clock offset (ms from real time), stop point (`mid-transaction` = rows
 * inserted, no COMMIT; `after-commit` = committed, not acknowledged in the queue), and optionally `claim`:
 * claim the stream rows and flush the batch they make in memory (src/pipeline/held_batches.ts) instead of
 * flushing waiting batch rows.
 */
import type { DestinationDriver } from "../../src/destinations/driver.ts";
import {
  parsePostgresCredentials,
  parseWarehouseOptions,
} from "../../src/destinations/warehouse/credentials.ts";
import { openWarehouseClient } from "../../src/destinations/warehouse/test_connection.ts";
import { Warehouse } from "../../src/destinations/warehouse/warehouse.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { testApp } from "../_helpers/app.ts";

const [storeUrl, offsetMs, stop, how] = Deno.args;
const hang = () => new Promise<never>(() => {});
const clock = { now: () => new Date(Date.now() + Number(offsetMs)) };
const t = await testApp({ db: openPostgres(storeUrl, { max: 2 }), clock });

const stopping: DestinationDriver = {
  type: "postgres",
  modes: ["stream", "batch"],
  async write(batch) {
    const client = await openWarehouseClient(
      "postgres",
      parsePostgresCredentials(batch.destination.credentials),
    );
    const wh = new Warehouse(client, parseWarehouseOptions(batch.connection.options), {
      faults: {
        async afterInsert() {
          if (stop !== "mid-transaction") return;
          console.log("inserted");
          await hang();
        },
      },
    });
    const outcome = await wh.write(batch.events, batch.connection.mode);
    console.log(outcome.committed ? "committed" : `failed ${outcome.error}`);
    return await hang();
  },
};

const pipeline = new Pipeline(t.deps, { workers: 0, drivers: new Map([["postgres", stopping]]) });
const n = how === "claim" ? await pipeline.runOnce() : await pipeline.flushBatches();
console.log(`flushed ${n}: the driver did not stop`);
Deno.exit(1);
