import assert from "node:assert/strict";
import { addMember } from "../../../src/services/members.ts";
import { testApp } from "../../_helpers/app.ts";
import { getPage, signedIn } from "./_helpers.ts";

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
