/**
 * Background work on Deno Deploy happens without a timer: a request starts a bounded pass when the last
 * one is old enough, and `Deno.cron` starts one every minute. Proven with no consumer loop running (as in
 * an isolate that Deploy has just woken), on PostgreSQL, the only store the profile allows.
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import type { AppError } from "../../src/errors.ts";
import { collect } from "../../src/sync/source.ts";
import { startBackground } from "../../src/pipeline/background.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { startBackgroundPasses } from "../../src/runtime/background_pass.ts";
import { CRON_NAME, type CronScheduler } from "../../src/runtime/profile.ts";
import { deployProfileSelected, registerTopLevelCron } from "../../src/runtime/top_level_cron.ts";
import { testApp } from "../_helpers/app.ts";
import { testPostgres } from "../_helpers/db.ts";
import { basicAuth, setupPipeline, startReceiver } from "../pipeline/fixtures.ts";

async function deployApp(clock = fakeClock(new Date())) {
  const db = await testPostgres();
  const t = await testApp({ db, clock, env: { RUNTIME: "deploy", DATABASE_URL: db.url } });
  return { t, clock };
}

async function send(t: Awaited<ReturnType<typeof deployApp>>["t"], key: string, messageId: string) {
  const res = await t.request("/api/s/s2s/track", {
    method: "POST",
    headers: { authorization: basicAuth(key) },
    json: { event: "Clicked", messageId },
  });
  assert.equal(res.status, 200, await res.text());
}

Deno.test("a request starts a pass when the last one is older than kickAfterMs, and only then", async () => {
  const { t, clock } = await deployApp();
  const rx = startReceiver();
  const pipeline = new Pipeline(t.deps); // never started: no loop, no timer
  const passes = startBackgroundPasses(t.deps, pipeline, { kickAfterMs: 10_000 });
  try {
    assert.equal(t.deps.config.runtime, "deploy");
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
    await send(t, s.serverKey, "m-1");
    passes.onRequest();
    const first = await passes.pass(); // joins the pass the request started
    assert.equal(first.rows, 1);
    assert.equal(first.retention, true);
    assert.equal(first.storeExpiry, true);
    assert.equal(rx.bodies.length, 1);

    await send(t, s.serverKey, "m-2");
    clock.advance(9_000);
    passes.onRequest(); // the last pass is 9 s old: not due
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rx.bodies.length, 1, "no pass before kickAfterMs");
    clock.advance(1_000);
    passes.onRequest();
    const second = await passes.pass();
    assert.equal(second.rows, 1);
    assert.equal(second.retention, false, "retention runs every 5 minutes, not every pass");
    assert.deepEqual(rx.bodies.map((b) => b.messageId), ["m-1", "m-2"]);
  } finally {
    await passes.stop();
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("Deno.cron runs a pass every minute on Deploy; a stopped background ignores it", async () => {
  const { t } = await deployApp();
  const rx = startReceiver();
  const jobs: { name: string; schedule: string; handler: () => Promise<void> }[] = [];
  const cron: CronScheduler = (name, schedule, handler) => jobs.push({ name, schedule, handler });
  const pipeline = new Pipeline(t.deps); // no loop: only cron is left, as in an isolate Deploy stopped
  const passes = startBackgroundPasses(t.deps, pipeline, { cron });
  try {
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].name, CRON_NAME);
    assert.equal(jobs[0].schedule, "* * * * *");
    const u = await t.user();
    const s = await setupPipeline(u, { destination: { destinationType: "webhook", url: rx.url } });
    await send(t, s.serverKey, "cron-1");
    await jobs[0].handler();
    assert.deepEqual(rx.bodies.map((b) => b.messageId), ["cron-1"]);
    await passes.stop();
    await send(t, s.serverKey, "cron-2");
    await jobs[0].handler();
    assert.deepEqual(rx.bodies.map((b) => b.messageId), ["cron-1"]);
  } finally {
    await passes.stop();
    await pipeline.stop();
    await rx.close();
    await t.close();
  }
});

Deno.test("startBackground() on Deploy registers the cron job and answers requests", async () => {
  const { t } = await deployApp();
  const jobs: string[] = [];
  const bg = await startBackground(t.deps, { cron: (name) => jobs.push(name) });
  try {
    assert.deepEqual(jobs, [CRON_NAME]);
    assert.ok(bg.passes);
    assert.equal(bg.onRequest, bg.passes.onRequest);
  } finally {
    await bg.stop();
    await t.close();
  }
});

Deno.test("on a machine startBackground() registers no cron job and requests start nothing", async () => {
  const t = await testApp();
  const jobs: string[] = [];
  const bg = await startBackground(t.deps, { cron: (name) => jobs.push(name) });
  try {
    assert.equal(t.deps.config.runtime, "machine");
    assert.equal(bg.passes, null);
    bg.onRequest();
    assert.deepEqual(jobs, []);
  } finally {
    await bg.stop();
    await t.close();
  }
});

Deno.test("registerTopLevelCron() registers the job at once and runs what the background attaches later", async () => {
  const registered: { name: string; schedule: string; handler: () => Promise<void> }[] = [];
  const attach = registerTopLevelCron((name, schedule, handler) =>
    registered.push({ name, schedule, handler })
  );
  assert.ok(attach);
  assert.deepEqual(registered.map((r) => [r.name, r.schedule]), [[CRON_NAME, "* * * * *"]]);
  await registered[0].handler(); // a run before the server started: nothing attached, nothing done
  const runs: string[] = [];
  attach(CRON_NAME, "* * * * *", () => Promise.resolve(void runs.push("first")));
  attach(CRON_NAME, "* * * * *", () => Promise.resolve(void runs.push("second")));
  await registered[0].handler();
  assert.deepEqual(runs, ["second"], "a later attach under the same name replaces the earlier one");
  assert.equal(registerTopLevelCron(null), null);
});

Deno.test("deployProfileSelected() follows RUNTIME first, then DENO_DEPLOYMENT_ID", () => {
  assert.equal(deployProfileSelected({}), false);
  assert.equal(deployProfileSelected({ DENO_DEPLOYMENT_ID: "abc" }), true);
  assert.equal(deployProfileSelected({ RUNTIME: "deploy" }), true);
  assert.equal(deployProfileSelected({ RUNTIME: "machine", DENO_DEPLOYMENT_ID: "abc" }), false);
});

Deno.test("on Deploy a sync connector is refused before anything starts, with the reason", async () => {
  const { t } = await deployApp();
  try {
    await assert.rejects(
      collect(t.deps, { pkg: "source-faker", version: "latest" }, "spec"),
      (e: AppError) => {
        assert.equal(e.status, 409);
        assert.equal(e.expose, true);
        assert.match(e.message, /Cannot run connector "source-faker": sync connectors run as subprocesses/);
        assert.match(e.message, /Deno Deploy \(RUNTIME=deploy\) does not allow/);
        return true;
      },
    );
  } finally {
    await t.close();
  }
});
