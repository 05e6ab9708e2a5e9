import assert from "node:assert/strict";
import { Metrics } from "../../src/metrics/registry.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { setupPipeline, startReceiver } from "../pipeline/fixtures.ts";

const TOKEN = "metrics-token-0123456789";

/** The value of the one sample of `name` whose labels include every pair of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`));
    if (has) return Number(m[3]);
  }
  return undefined;
}

Deno.test("GET /metrics is off (404) without METRICS_TOKEN, and refuses a missing or wrong token", async () => {
  const off = await testApp();
  try {
    assert.equal((await off.request("/metrics")).status, 404);
  } finally {
    await off.close();
  }
  const t = await testApp({ env: { METRICS_TOKEN: TOKEN } });
  try {
    for (const auth of [undefined, "Bearer wrong-token-0123456789", `Basic ${btoa(`${TOKEN}:`)}`]) {
      const res = await t.request("/metrics", { headers: auth ? { authorization: auth } : {} });
      assert.equal(res.status, 401, String(auth));
      assert.equal((await res.json()).error.code, "unauthorized");
    }
    assert.ok(!t.logLines.some((l) => l.includes(TOKEN)), "the token never reaches the log");
  } finally {
    await t.close();
  }
});

Deno.test("GET /metrics counts requests by route, ingest by result, deliveries, and reads the queue", async () => {
  const t = await testApp({ env: { METRICS_TOKEN: TOKEN } });
  const rx = startReceiver();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: { destinationType: "webhook", url: rx.url },
      functionCode: "export default function (e) { return e; }",
    });
    const batch = { batch: [{ type: "track", event: "a" }, { type: "track", event: "b" }, { type: 7 }] };
    const ok = await t.request("/api/s/s2s/batch", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: batch,
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const bad = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": "nope:nope" },
      json: { event: "x" },
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
    (await t.request(`/api/${u.workspace.id}/config/stream`, { headers: { authorization: u.auth } })).body
      ?.cancel();

    const scrape = async () => {
      const res = await t.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      return await res.text();
    };
    const before = await scrape();
    assert.equal(sample(before, "sluice_ingest_events_total", { result: "accepted" }), 2);
    assert.equal(sample(before, "sluice_ingest_events_total", { result: "refused" }), 1);
    assert.equal(sample(before, "sluice_ingest_events_total", { result: "unauthorized" }), 1);
    assert.equal(sample(before, "sluice_queue_depth"), 2);
    assert.ok((sample(before, "sluice_queue_oldest_age_seconds") ?? -1) >= 0);
    assert.equal(sample(before, "sluice_database_up"), 1);
    assert.equal(
      sample(before, "sluice_http_requests_total", {
        route: "/api/:ws/config/:type",
        method: "GET",
        status: "200",
      }),
      1,
      "routes are patterns, not paths",
    );
    assert.ok(!before.includes(u.workspace.id), "no id from a path becomes a label");

    await pipeline.drain();
    const after = await scrape();
    assert.equal(sample(after, "sluice_deliveries_total", { destination_type: "webhook", status: "ok" }), 2);
    assert.equal(sample(after, "sluice_pipeline_events_total", { outcome: "delivered" }), 2);
    assert.equal(sample(after, "sluice_function_runs_total", { result: "ok" }), 2);
    assert.equal(sample(after, "sluice_queue_depth"), 0);
    assert.equal(sample(after, "sluice_http_requests_total", { route: "/metrics", status: "200" }), 1);
  } finally {
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("GET /metrics on PostgreSQL reports the connection pool", async () => {
  const t = await testApp({ db: await testPostgres(), env: { METRICS_TOKEN: TOKEN } });
  try {
    const res = await t.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    const max = sample(text, "sluice_db_transactions", { state: "max" }) ?? 0;
    assert.ok(max >= 1, text);
    assert.ok((sample(text, "sluice_db_transactions", { state: "active" }) ?? -1) >= 0);
    assert.equal(sample(text, "sluice_db_transactions", { state: "waiting" }), 0);
    assert.notEqual(sample(text, "sluice_db_statements_in_flight"), undefined);
  } finally {
    await t.close();
  }
});

Deno.test("Metrics.render() escapes label values and writes each family's HELP and TYPE once", () => {
  const m = new Metrics();
  m.inc("sluice_http_requests_total", { route: 'a"b\\c\nd', method: "GET", status: 200 });
  m.inc("sluice_http_requests_total", { route: 'a"b\\c\nd', method: "GET", status: 200 }, 2);
  m.inc("sluice_http_request_duration_seconds_sum", { route: "/x" }, 0.5);
  m.inc("sluice_http_request_duration_seconds_count", { route: "/x" });
  const text = m.render([{ name: "g", help: "a gauge", series: [{ value: 4 }] }]);
  assert.ok(text.includes('sluice_http_requests_total{method="GET",route="a\\"b\\\\c\\nd",status="200"} 3'));
  assert.equal(
    text.split("\n").filter((l) => l === "# TYPE sluice_http_request_duration_seconds summary").length,
    1,
  );
  assert.ok(text.includes('sluice_http_request_duration_seconds_sum{route="/x"} 0.5'));
  assert.ok(text.includes("# TYPE g gauge\ng 4\n"));
  assert.equal(m.value("sluice_http_requests_total", { status: 200, method: "GET", route: 'a"b\\c\nd' }), 3);
});
