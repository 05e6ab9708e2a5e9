import assert from "node:assert/strict";
import { defaultDrivers } from "../../src/pipeline/drivers.ts";
import { DESTINATION_TYPES } from "../../src/resources/destinations/catalog.ts";
import { testApp } from "../_helpers/app.ts";

Deno.test("a destination type is deliverable in the catalog exactly when the pipeline has a driver for it", async () => {
  const t = await testApp();
  try {
    const drivers = defaultDrivers(t.deps);
    for (const d of DESTINATION_TYPES) {
      assert.equal(
        d.deliverable,
        drivers.has(d.id),
        `${d.id}: deliverable=${d.deliverable}, driver=${drivers.has(d.id)}`,
      );
    }
    assert.deepEqual([...drivers.keys()].sort(), [
      "clickhouse",
      "devnull",
      "mysql",
      "postgres",
      "s3",
      "webhook",
    ]);
  } finally {
    await t.close();
  }
});
