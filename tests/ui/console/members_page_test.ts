import assert from "node:assert/strict";
import { addMember } from "../../../src/services/members.ts";
import { testApp } from "../../_helpers/app.ts";
import { sessionCookie } from "../../oauth/_helpers.ts";
import { getPage, postActions, postForm, signedIn, submit } from "./_helpers.ts";

Deno.test("console members: members with their roles and pending invites; another workspace's stay out", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "team" });
    const mate = await t.user("mate@example.com");
    await addMember(s.user.ctx, { workspaceId: s.user.workspace.id, email: mate.email, role: "analyst" });
    await addMember(s.user.ctx, {
      workspaceId: s.user.workspace.id,
      email: "new@example.com",
      role: "editor",
    });
    const page = await getPage(t, s.cookie, "/team/members");
    assert.equal(page.status, 200);
    assert.match(
      page.html,
      new RegExp(`<tr data-user="${s.user.id}"><td>${s.user.email}</td><td>owner</td>`),
    );
    assert.match(
      page.html,
      new RegExp(`<tr data-user="${mate.id}"><td>mate@example.com</td><td>analyst</td>`),
    );
    assert.match(page.html, /<table id="invites"><tbody><tr><td>new@example.com<\/td><td>editor<\/td>/);
    const other = await signedIn(t, { slug: "other-team" });
    const theirs = await getPage(t, other.cookie, "/other-team/members");
    assert.ok(!theirs.html.includes("mate@example.com") && !theirs.html.includes("new@example.com"));
    assert.equal((await getPage(t, other.cookie, "/team/members")).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("console members: an owner adds, changes, removes members and invites, each answered by a redirect", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "team" });
    const mate = await t.user("mate@example.com");
    const post = (action: string, form: Record<string, string>) =>
      submit(t, s, { from: "/team/members", action: `/team/members/${action}`, form });

    const added = await post("add", { email: "mate@example.com", role: "analyst" });
    assert.equal(added.status, 303);
    assert.equal(added.headers.get("location"), "/team/members?notice=added");
    let page = await getPage(t, s.cookie, "/team/members?notice=added");
    assert.match(page.html, /Member added\./);
    assert.match(
      page.html,
      new RegExp(`<tr data-user="${mate.id}"><td>mate@example.com</td><td>analyst</td>`),
    );
    assert.deepEqual(postActions(page.html), [
      "/team/members/role",
      "/team/members/remove",
      "/team/members/role",
      "/team/members/remove",
      "/team/members/add",
    ]);

    assert.equal((await post("role", { userId: mate.id, role: "editor" })).status, 303);
    page = await getPage(t, s.cookie, "/team/members");
    assert.match(
      page.html,
      new RegExp(`<tr data-user="${mate.id}"><td>mate@example.com</td><td>editor</td>`),
    );

    // An email without an account: an invite link, shown on the next page only.
    const invited = await post("add", { email: "new@example.com", role: "editor" });
    assert.equal(invited.headers.get("location"), "/team/members?notice=invited");
    const flash = invited.headers.getSetCookie().find((x) => x.startsWith("sluice_console_invite="));
    assert.ok(flash, "the invite link travels in a cookie");
    const cookie = `${s.cookie}; ${flash.split(";")[0]}`;
    const once = await getPage(t, cookie, "/team/members?notice=invited");
    const link = /<pre>(http[^<]+\/invite\?token=[^<]+)<\/pre>/.exec(once.html)?.[1];
    assert.ok(link, once.html);
    assert.match(once.html, /<table id="invites"><tbody><tr><td>new@example.com<\/td><td>editor<\/td>/);
    assert.ok(!(await getPage(t, s.cookie, "/team/members")).html.includes("/invite?token="));

    assert.equal((await post("cancel-invite", { email: "new@example.com" })).status, 303);
    page = await getPage(t, s.cookie, "/team/members?notice=cancelled");
    assert.match(page.html, /Invite cancelled\./);
    assert.ok(!page.html.includes("new@example.com"));

    assert.equal((await post("remove", { userId: mate.id })).status, 303);
    assert.ok(!(await getPage(t, s.cookie, "/team/members")).html.includes("mate@example.com"));

    // Refusals come back on the page with the service's own words.
    const bad = await post("add", { email: "not an email", role: "boss" });
    assert.equal(bad.status, 400);
    const badHtml = await bad.text();
    assert.match(badHtml, /<p class="error" role="alert" id="members-error">Cannot add member: /);
    assert.match(badHtml, /role: must be one of owner, editor, analyst/);
    assert.match(badHtml, /value="not an email"/);
    const again = await post("add", { email: s.user.email, role: "editor" });
    assert.equal(again.status, 409);
    assert.match(await again.text(), /is already a member of workspace/);
    const lastOwner = await post("role", { userId: s.user.id, role: "analyst" });
    assert.equal(lastOwner.status, 409);
    assert.match(await lastOwner.text(), /the last owner of a workspace stays owner/);
    const noInvite = await post("cancel-invite", { email: "nobody@example.com" });
    assert.equal(noInvite.status, 404);
    assert.match(
      await noInvite.text(),
      /Cannot cancel invite: no pending invite for &quot;nobody@example.com&quot;/,
    );

    // Without the CSRF token nothing happens.
    const forged = await postForm(t, s.cookie, "/team/members/add", {
      email: "mate@example.com",
      role: "owner",
    });
    assert.equal(forged.status, 400);
    assert.ok(!(await getPage(t, s.cookie, "/team/members")).html.includes("mate@example.com"));
  } finally {
    await t.close();
  }
});

Deno.test("console members: editors and analysts see no forms and their POSTs are refused; strangers get 404", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "team" });
    const editor = await t.user("editor@example.com");
    const analyst = await t.user("analyst@example.com");
    await addMember(s.user.ctx, { workspaceId: s.user.workspace.id, email: editor.email, role: "editor" });
    await addMember(s.user.ctx, { workspaceId: s.user.workspace.id, email: analyst.email, role: "analyst" });
    for (const [who, status] of [[editor, 403], [analyst, 403]] as const) {
      const signed = { user: who, cookie: await sessionCookie(t, who), base: "/team" };
      const page = await getPage(t, signed.cookie, "/team/members");
      assert.equal(page.status, 200);
      assert.deepEqual(postActions(page.html), [], `${who.email} sees no member form`);
      const res = await submit(t, signed, {
        from: "/team/members",
        action: "/team/members/role",
        form: { userId: who.id, role: "owner" },
      });
      assert.equal(res.status, status);
      const html = await res.text();
      assert.match(
        html,
        who === editor
          ? /Cannot change member: only owners of workspace &quot;[^&]+&quot; and admins change members/
          : /your role \(analyst\) is read-only/,
      );
    }
    const owner = await getPage(t, s.cookie, "/team/members");
    assert.match(
      owner.html,
      new RegExp(`<tr data-user="${editor.id}"><td>editor@example.com</td><td>editor</td>`),
    );

    const stranger = await signedIn(t, { slug: "elsewhere" });
    const res = await postForm(t, stranger.cookie, "/team/members/add", {
      csrf: (await getPage(t, stranger.cookie, "/elsewhere/members")).csrf,
      email: stranger.user.email,
      role: "owner",
    });
    assert.equal(res.status, 404);
    assert.ok(!(await getPage(t, s.cookie, "/team/members")).html.includes(stranger.user.email));
  } finally {
    await t.close();
  }
});
