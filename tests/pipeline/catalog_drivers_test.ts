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
      "amplitude",
      "braze",
      "clickhouse",
      "devnull",
      "facebook-conversions",
      "ga4",
      "hubspot",
      "intercom",
      "june",
      "mixpanel",
      "mysql",
      "postgres",
      "posthog",
      "s3",
      "segment-proxy",
      "statsig",
      "webhook",
    ]);
    const configOnly = DESTINATION_TYPES.filter((x) => !x.deliverable);
    assert.ok(configOnly.some((d) => d.id === "bigquery") && configOnly.some((d) => d.id === "snowflake"));
    for (const d of configOnly) {
      assert.ok(d.notDeliverableReason, `${d.id} says why it does not deliver`);
    }
  } finally {
    await t.close();
  }
});
