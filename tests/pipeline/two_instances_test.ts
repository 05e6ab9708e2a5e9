/** Two instances on one PostgreSQL share the queue: every event is delivered exactly once. */
import assert from "node:assert/strict";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { setupPipeline, startReceiver } from "./fixtures.ts";

Deno.test("[postgres] two instances' pipelines split the queue and deliver every event exactly once", async () => {
  const db1 = await testPostgres();
  const db2 = openPostgres(db1.url, { max: 4 });
  const env = { PIPELINE_BATCH_SIZE: "25" };
  const a = await testApp({ db: db1, env });
  const b = await testApp({ db: db2, env });
  const rx = startReceiver();
  const pa = new Pipeline(a.deps, { workers: 2, pollMs: 50 });
  const pb = new Pipeline(b.deps, { workers: 2, pollMs: 50 });
  try {
    const u = await a.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: rx.url },
      functionCode: `export default function (e) { return { ...e, seenBy: "fn" }; }`,
    });
    const total = 400;
    for (let i = 0; i < total; i += 100) {
      const batch = Array.from(
        { length: 100 },
        (_, k) => ({ type: "track", event: "E", messageId: `m-${i + k}` }),
      );
      // Half the batches enter through each instance.
      const t = i % 200 === 0 ? a : b;
      const res = await t.request("/v1/batch", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { batch },
      });
      assert.equal((await expectJson(res, 200)).okEvents, 100);
    }
    await Promise.all([pa.start(), pb.start()]);
    await rx.waitFor(total, 60_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
    const ids = rx.bodies.map((x) => String(x.messageId));
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total, "no event delivered twice");
    assert.ok(rx.bodies.every((x) => x.seenBy === "fn"));
    assert.ok(
      pa.totals.rows > 0 && pb.totals.rows > 0,
      `both shared the work (${pa.totals.rows} / ${pb.totals.rows})`,
    );
    assert.equal(pa.totals.rows + pb.totals.rows, total);
    const left = await db1.query<{ n: number }>("select count(*)::int as n from event_queue");
    assert.equal(Number(left[0].n), 0);
  } finally {
    await pa.stop();
    await pb.stop();
    await rx.close();
    await b.close();
    await a.close();
  }
});
