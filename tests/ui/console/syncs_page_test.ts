/** The console's Syncs page: tasks of each sync, Run / Full sync / Cancel forms, task logs, access. */
import assert from "node:assert/strict";
import { addMember } from "../../../src/services/members.ts";
import { getSyncState } from "../../../src/sync/syncs.ts";
import { type TestApp, testApp } from "../../_helpers/app.ts";
import { pgTarget, type Target } from "../../destinations/_targets.ts";
import { sessionCookie } from "../../oauth/_helpers.ts";
import { connectorsDir, setupSync } from "../../sync/_connectors.ts";
import { waitForRunning, waitForTask } from "../../sync/_wait.ts";
import { getPage, postActions, postForm, signedIn, submit } from "./_helpers.ts";

const STREAMS = {
  users: { sync_mode: "incremental", primary_key: [["id"]] },
  events: { sync_mode: "full_refresh" },
};

async function withConsole(fn: (t: TestApp, target: Target) => Promise<void>) {
  const dir = await connectorsDir();
  const t = await testApp({ env: { SYNC_CONNECTORS_DIR: dir } });
  const target = await pgTarget();
  try {
    await fn(t, target);
  } finally {
    await target.drop();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The single task id of the latest task on the page (the first row of the sync's table). */
function firstTask(html: string, connectionId: string): string {
  const card = html.slice(html.indexOf(`data-sync="${connectionId}"`));
  const id = /<tr data-task="([^"]+)"/.exec(card)?.[1];
  assert.ok(id, html);
  return id;
}

Deno.test("[postgres] console syncs: Run starts a task that reaches SUCCESS with its rows; logs open on click", async () => {
  await withConsole(async (t, target) => {
    const s = await signedIn(t, { slug: "team" });
    const sync = await setupSync(s.user, target, {
      credentials: { api_key: "good", count: 12, events: 3 },
      data: { streams: STREAMS },
      ids: { connectionId: "nightly" },
    });
    const empty = await getPage(t, s.cookie, "/team/syncs");
    assert.equal(empty.status, 200);
    assert.match(empty.html, /<a href="\/team\/syncs" aria-current="page">Syncs<\/a>/);
    assert.match(empty.html, /data-sync="nightly"/);
    assert.match(empty.html, /No task yet\./);
    assert.deepEqual(postActions(empty.html), ["/team/syncs/nightly/run", "/team/syncs/nightly/run"]);

    const res = await submit(t, s, { from: "/team/syncs", action: "/team/syncs/nightly/run", form: {} });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/team/syncs?notice=started");
    const started = await getPage(t, s.cookie, "/team/syncs?notice=started");
    assert.match(started.html, /Sync started\./);
    const taskId = firstTask(started.html, sync.connectionId);
    const done = await waitForTask(s.user, sync.connectionId, taskId);
    assert.equal(done.status, "SUCCESS", done.error ?? "");

    const page = await getPage(t, s.cookie, "/team/syncs");
    assert.match(
      page.html,
      new RegExp(
        `<tr data-task="${taskId}" data-status="SUCCESS">.*?<td class="rows">users: 12, events: 3</td>`,
      ),
    );
    assert.equal((await target.rows("users", "id")).length, 12);
    // A finished task has no Cancel button.
    assert.ok(!page.html.includes("/team/syncs/nightly/cancel"));

    const logs = await getPage(t, s.cookie, `/team/syncs/nightly/logs?task=${taskId}`);
    assert.equal(logs.status, 200);
    assert.match(logs.html, new RegExp(`Task ${taskId}`));
    assert.match(logs.html, /<pre id="sync-logs">[^<]*INFO[^<]*reading from 0/);
    assert.ok(!logs.html.includes("good"), "the api key never shows");

    // Full sync: a task marked full that reads everything again.
    const full = await submit(t, s, {
      from: "/team/syncs",
      action: "/team/syncs/nightly/run",
      form: { fullSync: "true" },
    });
    assert.equal(full.status, 303);
    const fullId = firstTask((await getPage(t, s.cookie, "/team/syncs")).html, sync.connectionId);
    assert.notEqual(fullId, taskId);
    const fullTask = await waitForTask(s.user, sync.connectionId, fullId);
    assert.equal(fullTask.fullSync, true);
    assert.deepEqual(fullTask.rows, { users: 12, events: 3 });

    // Unknown sync and unknown task: clear 404s on the page, never a 500.
    const missing = await submit(t, s, { from: "/team/syncs", action: "/team/syncs/nope/run", form: {} });
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /sync connection &quot;nope&quot; not found/);
    const noTask = await getPage(t, s.cookie, "/team/syncs/nightly/logs?task=nope");
    assert.equal(noTask.status, 200);
    assert.match(noTask.html, /No log lines\./);
    // Without the CSRF token nothing runs.
    const forged = await postForm(t, s.cookie, "/team/syncs/nightly/run", {});
    assert.equal(forged.status, 400);
  });
});

Deno.test("[postgres] console syncs: Cancel stops a running task; a second Run meanwhile is refused with 409", async () => {
  await withConsole(async (t, target) => {
    const s = await signedIn(t, { slug: "team" });
    const sync = await setupSync(s.user, target, {
      credentials: { api_key: "good", count: 10, stateEvery: 1, hang: true },
      data: { streams: { users: STREAMS.users } },
    });
    const base = `/team/syncs/${sync.connectionId}`;
    assert.equal((await submit(t, s, { from: "/team/syncs", action: `${base}/run`, form: {} })).status, 303);
    const taskId = firstTask((await getPage(t, s.cookie, "/team/syncs")).html, sync.connectionId);
    await waitForRunning(s.user, sync.connectionId, taskId);
    const again = await submit(t, s, { from: "/team/syncs", action: `${base}/run`, form: {} });
    assert.equal(again.status, 409);
    assert.match(await again.text(), new RegExp(`already running: &quot;${taskId}&quot;`));
    // Wait until the connector sits in its endless wait, then cancel from the page.
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const st = await getSyncState(s.user.ctx, {
        workspaceId: s.user.workspace.id,
        connectionId: sync.connectionId,
      });
      if ((st.state.users as { cursor?: number } | undefined)?.cursor === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await getPage(t, s.cookie, "/team/syncs");
    assert.match(page.html, new RegExp(`<input type="hidden" name="taskId" value="${taskId}">`));
    const cancel = await postForm(t, s.cookie, `${base}/cancel`, { csrf: page.csrf, taskId });
    assert.equal(cancel.status, 303);
    assert.equal(cancel.headers.get("location"), "/team/syncs?notice=cancelling");
    const task = await waitForTask(s.user, sync.connectionId, taskId);
    assert.equal(task.status, "CANCELLED");
    const after = await getPage(t, s.cookie, "/team/syncs");
    assert.match(after.html, new RegExp(`<tr data-task="${taskId}" data-status="CANCELLED">`));
    assert.ok(!after.html.includes(`${base}/cancel`));
    // Cancelling a task that is not this sync's is a 404.
    const wrong = await postForm(t, s.cookie, `${base}/cancel`, { csrf: after.csrf, taskId: "other" });
    assert.equal(wrong.status, 404);
  });
});

Deno.test("[postgres] console syncs: analysts see tasks but no buttons and get 403; another workspace's syncs stay out", async () => {
  await withConsole(async (t, target) => {
    const s = await signedIn(t, { slug: "team" });
    const sync = await setupSync(s.user, target, {
      credentials: { api_key: "good", count: 3 },
      data: { streams: { users: STREAMS.users } },
      ids: { connectionId: "team-sync" },
    });
    assert.equal(
      (await submit(t, s, { from: "/team/syncs", action: "/team/syncs/team-sync/run", form: {} })).status,
      303,
    );
    const taskId = firstTask((await getPage(t, s.cookie, "/team/syncs")).html, sync.connectionId);
    await waitForTask(s.user, sync.connectionId, taskId);

    const analyst = await t.user("analyst@example.com");
    await addMember(s.user.ctx, { workspaceId: s.user.workspace.id, email: analyst.email, role: "analyst" });
    const signed = { user: analyst, cookie: await sessionCookie(t, analyst), base: "/team" };
    const seen = await getPage(t, signed.cookie, "/team/syncs");
    assert.equal(seen.status, 200);
    assert.match(seen.html, new RegExp(`<tr data-task="${taskId}" data-status="SUCCESS">`));
    assert.deepEqual(postActions(seen.html), []);
    for (const action of ["run", "cancel"]) {
      const res = await submit(t, signed, {
        from: "/team/syncs",
        action: `/team/syncs/team-sync/${action}`,
        form: {},
      });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /your role \(analyst\) is read-only/);
    }
    assert.equal((await getPage(t, signed.cookie, `/team/syncs/team-sync/logs?task=${taskId}`)).status, 200);

    // Another workspace: its own page lists none of these; this workspace's URLs are 404 for it.
    const other = await signedIn(t, { slug: "elsewhere" });
    const theirs = await getPage(t, other.cookie, "/elsewhere/syncs");
    assert.equal(theirs.status, 200);
    assert.ok(!theirs.html.includes("team-sync") && !theirs.html.includes(taskId));
    assert.equal((await getPage(t, other.cookie, "/team/syncs")).status, 404);
    // Its own URL with this workspace's sync id: the sync is not found there.
    const run = await postForm(t, other.cookie, "/elsewhere/syncs/team-sync/run", { csrf: theirs.csrf });
    assert.equal(run.status, 404);
    const logs = await getPage(t, other.cookie, `/elsewhere/syncs/team-sync/logs?task=${taskId}`);
    assert.equal(logs.status, 404);
    assert.ok(!logs.html.includes("reading from"));
    const posted = await postForm(t, other.cookie, "/team/syncs/team-sync/run", { csrf: theirs.csrf });
    assert.equal(posted.status, 404);
  });
});
