import assert from "node:assert/strict";
import { addMember } from "../../../src/store/workspaces_repo.ts";
import { testApp } from "../../_helpers/app.ts";
import { sessionCookie } from "../../oauth/_helpers.ts";
import { getPage, postActions, postForm, signedIn, submit } from "./_helpers.ts";

async function restCreate(
  t: Awaited<ReturnType<typeof testApp>>,
  auth: string,
  ws: string,
  type: string,
  data: unknown,
) {
  const res = await t.request(`/api/${ws}/config/${type}`, {
    method: "POST",
    headers: { authorization: auth },
    json: data,
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).id as string;
}

Deno.test("console access: an analyst sees read-only pages (no forms) and every POST is a 403", async () => {
  const t = await testApp();
  try {
    const owner = await signedIn(t, { slug: "read-only" });
    const ws = owner.user.workspace.id;
    const streamId = await restCreate(t, owner.user.auth, ws, "stream", { name: "Site" });
    const destId = await restCreate(t, owner.user.auth, ws, "destination", {
      destinationType: "postgres",
      name: "PG",
      host: "h",
      database: "d",
      username: "u",
      password: "pg-password-123",
    });
    await restCreate(t, owner.user.auth, ws, "function", {
      name: "F",
      code: "export default async function(e) { return e; }",
    });
    const analystUser = await t.user();
    await addMember(t.deps.db, ws, analystUser.id, "analyst");
    const cookie = await sessionCookie(t, analystUser);
    for (
      const path of [
        "/read-only",
        "/read-only/streams",
        `/read-only/streams/${streamId}`,
        "/read-only/destinations",
        `/read-only/destinations/${destId}`,
        "/read-only/connections",
        "/read-only/functions",
        "/read-only/live?type=dead-letter",
        "/read-only/audit",
        "/read-only/members",
      ]
    ) {
      const p = await getPage(t, cookie, path);
      assert.equal(p.status, 200, path);
      assert.deepEqual(postActions(p.html), [], `${path} has no form that changes anything`);
      assert.doesNotMatch(p.html, /pg-password-123/);
    }
    const dest = await getPage(t, cookie, `/read-only/destinations/${destId}`);
    assert.match(dest.html, /__MASKED_BY_JITSU__/);
    assert.equal((await getPage(t, cookie, "/read-only/streams/new")).status, 403);
    const csrf = (await getPage(t, cookie, "/read-only")).csrf;
    for (
      const [path, form] of [
        ["/read-only/streams", { name: "X" }],
        [`/read-only/streams/${streamId}`, { name: "Y" }],
        [`/read-only/streams/${streamId}/delete`, {}],
        [`/read-only/streams/${streamId}/keys`, { kind: "browser" }],
        ["/read-only/live/replay", {}],
        ["/read-only/functions/run", { code: "export default (e) => e", sampleEvent: "{}" }],
      ] as const
    ) {
      const res = await postForm(t, cookie, path, { csrf, ...form });
      assert.equal(res.status, 403, path);
      assert.match(await res.text(), /your role \(analyst\) is read-only/);
    }
    const names = await t.deps.db.query<{ name: string }>(
      "select name from config_objects where workspace_id = $1 and type = 'stream' and deleted_at is null",
      [ws],
    );
    assert.deepEqual(names.map((r) => r.name), ["Site"]);
  } finally {
    await t.close();
  }
});

Deno.test("console access: a form without the session's CSRF token is refused and changes nothing", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "csrf" });
    for (const csrf of [undefined, "wrong", ""]) {
      const res = await postForm(
        t,
        s.cookie,
        "/csrf/streams",
        csrf === undefined ? { name: "X" } : { csrf, name: "X" },
      );
      assert.equal(res.status, 400);
      assert.match(await res.text(), /CSRF/);
    }
    // Another session's token does not work either.
    const other = await signedIn(t, { slug: "csrf-other" });
    const otherCsrf = (await getPage(t, other.cookie, "/csrf-other")).csrf;
    const res = await postForm(t, s.cookie, "/csrf/streams", { csrf: otherCsrf, name: "X" });
    assert.equal(res.status, 400);
    const rows = await t.deps.db.query("select 1 from config_objects where workspace_id = $1", [
      s.user.workspace.id,
    ]);
    assert.equal(rows.length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("console tenant isolation: another workspace's objects never show, by list, id or action", async () => {
  const t = await testApp();
  try {
    const a = await signedIn(t, { slug: "tenant-a" });
    const b = await signedIn(t, { slug: "tenant-b" });
    const aStream = await restCreate(t, a.user.auth, a.user.workspace.id, "stream", {
      name: "Alpha secret site",
    });
    const aFn = await restCreate(t, a.user.auth, a.user.workspace.id, "function", {
      name: "Alpha fn",
      code: "export default async function(e) { return e; }",
    });
    for (
      const path of [
        "/tenant-b",
        "/tenant-b/streams",
        "/tenant-b/functions",
        "/tenant-b/live",
        "/tenant-b/audit",
      ]
    ) {
      const p = await getPage(t, b.cookie, path);
      assert.equal(p.status, 200, path);
      assert.ok(!p.html.includes("Alpha") && !p.html.includes(aStream), path);
    }
    assert.equal((await getPage(t, b.cookie, `/tenant-b/streams/${aStream}`)).status, 404);
    assert.equal((await getPage(t, b.cookie, `/tenant-a/streams/${aStream}`)).status, 404);
    const csrf = (await getPage(t, b.cookie, "/tenant-b")).csrf;
    const upd = await postForm(t, b.cookie, `/tenant-b/streams/${aStream}`, { csrf, name: "Pwned" });
    assert.equal(upd.status, 404);
    const del = await postForm(t, b.cookie, `/tenant-b/streams/${aStream}/delete`, { csrf });
    assert.equal(del.status, 404);
    const run = await postForm(t, b.cookie, "/tenant-b/functions/run", {
      csrf,
      functionId: aFn,
      sampleEvent: "{}",
    });
    assert.equal(run.status, 404);
    const stillA = await getPage(t, a.cookie, `/tenant-a/streams/${aStream}`);
    assert.match(stillA.html, /Alpha secret site/);
    const sub = await submit(t, b, { from: "/tenant-b/live", action: "/tenant-a/live/replay", form: {} });
    assert.equal(sub.status, 404);
  } finally {
    await t.close();
  }
});
