import assert from "node:assert/strict";
import { Pipeline } from "../../../src/pipeline/pipeline.ts";
import { expectJson, testApp } from "../../_helpers/app.ts";
import { setupPipeline } from "../../pipeline/fixtures.ts";
import { getPage, signedIn } from "./_helpers.ts";

/** Sums of the hidden table's columns: {incoming, delivered, errors}. */
function tableTotals(html: string) {
  const table = /<table class="sr-only" id="chart-table">([\s\S]*?)<\/table>/.exec(html)?.[1];
  assert.ok(table, "the chart's table is on the page");
  const sums: Record<string, number> = { incoming: 0, delivered: 0, errors: 0 };
  for (const m of table.matchAll(/<td data-series="(\w+)">(\d+)<\/td>/g)) sums[m[1]] += Number(m[2]);
  return { sums, rows: [...table.matchAll(/<tr data-period=/g)].length };
}

Deno.test("console overview chart: events through the pipeline show in its table; another workspace's never", async () => {
  const t = await testApp();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const s = await signedIn(t, { slug: "team" });
    const p = await setupPipeline(s.user, { destination: { destinationType: "devnull" } });
    const send = (json: unknown) =>
      t.request("/api/s/s2s/track", { method: "POST", headers: { "x-write-key": p.serverKey }, json });
    for (const event of ["a", "b", "c"]) await expectJson(await send({ event }), 200);
    assert.equal((await send({ userId: "no event name" })).status, 400);
    await pipeline.drain();

    const day = await getPage(t, s.cookie, "/team");
    assert.equal(day.status, 200);
    assert.match(
      day.html,
      /<svg class="chart" viewBox="0 0 360 170" role="img" aria-labelledby="chart-title chart-desc"/,
    );
    assert.match(
      day.html,
      /<title id="chart-title">Events, last 24 hours: All streams and connections<\/title>/,
    );
    assert.match(day.html, /Totals: incoming 3, delivered 3, errors 1\./);
    assert.deepEqual(tableTotals(day.html), { sums: { incoming: 3, delivered: 3, errors: 1 }, rows: 24 });

    const week = await getPage(t, s.cookie, "/team?range=7d");
    assert.deepEqual(tableTotals(week.html), { sums: { incoming: 3, delivered: 3, errors: 1 }, rows: 7 });
    assert.match(week.html, /Events per day \(UTC\)/);

    // One connection: its deliveries, not the stream's incoming events.
    const conn = await getPage(t, s.cookie, `/team?source=connection:${p.connectionId}`);
    assert.deepEqual(tableTotals(conn.html).sums, { incoming: 0, delivered: 3, errors: 0 });
    assert.match(conn.html, new RegExp(`<option value="connection:${p.connectionId}" selected>`));
    const stream = await getPage(t, s.cookie, `/team?source=stream:${p.streamId}&range=7d`);
    assert.deepEqual(tableTotals(stream.html).sums, { incoming: 3, delivered: 3, errors: 1 });

    // A bad query names its field and still draws the default chart.
    const bad = await getPage(t, s.cookie, "/team?range=year&source=stream:nope");
    assert.equal(bad.status, 200);
    assert.match(bad.html, /range: must be 24h or 7d \(got &quot;year&quot;\)/);
    assert.match(bad.html, /source: no stream or connection &quot;stream:nope&quot; here/);
    assert.equal(tableTotals(bad.html).rows, 24);

    // Another workspace: its own chart is empty, and our stream id is not one of its sources.
    const other = await signedIn(t, { slug: "other-team" });
    const theirs = await getPage(t, other.cookie, "/other-team");
    assert.deepEqual(tableTotals(theirs.html).sums, { incoming: 0, delivered: 0, errors: 0 });
    const probe = await getPage(t, other.cookie, `/other-team?source=stream:${p.streamId}`);
    assert.deepEqual(tableTotals(probe.html).sums, { incoming: 0, delivered: 0, errors: 0 });
    assert.match(probe.html, /source: no stream or connection/);
    assert.equal((await getPage(t, other.cookie, "/team")).status, 404);
  } finally {
    await pipeline.stop();
    await t.close();
  }
});
