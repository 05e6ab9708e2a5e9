/** GET /api/schema marks exactly the types that deliver, and says why the others do not. */
import assert from "node:assert/strict";
import { defaultDrivers } from "../../../src/pipeline/drivers.ts";
import { expectJson, testApp } from "../../_helpers/app.ts";

Deno.test("GET /api/schema marks the API types deliverable and says why the configuration-only ones are not", async () => {
  const t = await testApp();
  try {
    const body = await expectJson(await t.request("/api/schema"), 200);
    const drivers = defaultDrivers(t.deps);
    const types = body.destinationTypes as { id: string; deliverable: boolean; description: string }[];
    for (const d of types) assert.equal(d.deliverable, drivers.has(d.id), d.id);
    const byId = new Map(types.map((d) => [d.id, d]));
    for (
      const id of [
        "mixpanel",
        "amplitude",
        "ga4",
        "posthog",
        "segment-proxy",
        "braze",
        "june",
        "statsig",
        "facebook-conversions",
        "intercom",
        "hubspot",
        "webhook",
      ]
    ) {
      assert.equal(byId.get(id)?.deliverable, true, id);
      assert.ok(!byId.get(id)!.description.includes("Not deliverable"), id);
    }
    for (const id of ["bigquery", "snowflake"]) {
      assert.equal(byId.get(id)?.deliverable, false, id);
      assert.match(
        byId.get(id)!.description,
        /Not deliverable yet: .*cannot be run or faithfully stood in for/,
        id,
      );
    }
    assert.match(byId.get("bigquery")!.description, /needs Google Cloud/);
  } finally {
    await t.close();
  }
});
