/** The small account pages: /invite, /reset-password, the password form on /user and the slug on /setup. */
import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "../../src/auth/password.ts";
import { bootstrap } from "../../src/services/bootstrap.ts";
import { addMember } from "../../src/services/members.ts";
import { issuePasswordReset } from "../../src/services/passwords.ts";
import { listWorkspaces } from "../../src/services/workspaces.ts";
import { findUserByEmail, setUserPassword } from "../../src/store/users_repo.ts";
import { type TestApp, testApp } from "../_helpers/app.ts";
import { sessionCookie } from "../oauth/_helpers.ts";
import { cliPrincipal } from "../../src/auth/principal.ts";

function postForm(t: TestApp, path: string, form: Record<string, string>, cookie?: string) {
  return t.request(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

Deno.test("/invite shows the invite, creates the account with a chosen password and redirects to sign-in", async () => {
  const t = await testApp();
  try {
    const owner = await t.user();
    const r = await addMember(owner.ctx, {
      workspaceId: owner.workspace.id,
      email: "invited@example.com",
      role: "analyst",
    });
    const token = new URL(r.invite!.link).searchParams.get("token")!;
    const page = await t.request(`/invite?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const html = await page.text();
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.match(html, /Join Workspace \d+/);
    assert.match(html, /invited@example.com/);
    assert.match(html, /<label for="password">/);

    const short = await postForm(t, "/invite", { token, password: "short" });
    assert.equal(short.status, 400);
    assert.match(await short.text(), /password: must be at least 8 characters/);

    const ok = await postForm(t, "/invite", { token, password: "a fine password", name: "Ivy" });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/login");
    const user = await findUserByEmail(t.deps.db, "invited@example.com");
    assert.equal(await verifyPassword("a fine password", user!.password_hash), true);
    assert.equal(user!.name, "Ivy");
    const ws = await listWorkspaces({ ...t.deps, principal: cliPrincipal(user!), requestId: "t" });
    assert.deepEqual(ws.map((w) => [w.id, w.role]), [[owner.workspace.id, "analyst"]]);

    // A reload of the post, or the link again, repeats nothing.
    const again = await postForm(t, "/invite", { token, password: "a fine password" });
    assert.equal(again.status, 403);
    assert.equal((await t.request(`/invite?token=${token}`)).status, 403);
    assert.equal((await t.request("/invite?token=made-up")).status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("/reset-password sets a new password once; /user changes it with the current one", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    await setUserPassword(t.deps.db, u.id, await hashPassword("first password", 1000));
    const { link } = await issuePasswordReset(t.deps, { email: u.email });
    const token = new URL(link).searchParams.get("token")!;
    const page = await t.request(`/reset-password?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), new RegExp(u.email.replace(".", "\\.")));
    const ok = await postForm(t, "/reset-password", { token, password: "second password" });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/login");
    const row = await findUserByEmail(t.deps.db, u.email);
    assert.equal(await verifyPassword("second password", row!.password_hash), true);
    assert.equal((await postForm(t, "/reset-password", { token, password: "third password" })).status, 403);

    // The /user form: CSRF-checked, current password required, POST-redirect-GET.
    const cookie = await sessionCookie(t, u);
    const userPage = await (await t.request("/user", { headers: { cookie } })).text();
    assert.match(userPage, /<label for="current-password">Current password<\/label>/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(userPage)![1];
    const noCsrf = await postForm(t, "/user/password", {
      currentPassword: "second password",
      newPassword: "third password",
    }, cookie);
    assert.equal(noCsrf.status, 400);
    const wrong = await postForm(
      t,
      "/user/password",
      { csrf, currentPassword: "not it at all", newPassword: "third password" },
      cookie,
    );
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /currentPassword: is not your current password/);
    const changed = await postForm(
      t,
      "/user/password",
      { csrf, currentPassword: "second password", newPassword: "third password" },
      cookie,
    );
    assert.equal(changed.status, 303);
    assert.equal(changed.headers.get("location"), "/user?notice=password-changed");
    // The session that changed it stays signed in.
    const after = await t.request("/user?notice=password-changed", { headers: { cookie } });
    assert.equal(after.status, 200);
    assert.match(await after.text(), /Your password was changed/);
  } finally {
    await t.close();
  }
});

Deno.test("/setup asks for the first workspace's slug and refuses a bad one beside the kept values", async () => {
  const t = await testApp();
  try {
    const link = await bootstrap(t.deps);
    const token = new URL(link!).searchParams.get("token")!;
    const form = await (await t.request(`/setup?token=${token}`)).text();
    assert.match(form, /<label for="slug">/);
    const bad = await postForm(t, "/setup", {
      token,
      email: "first@example.com",
      password: "long enough password",
      workspace: "Acme",
      slug: "Not A Slug",
    });
    assert.equal(bad.status, 400);
    const badHtml = await bad.text();
    assert.match(badHtml, /slug: must be 3-64 lowercase letters/);
    assert.match(badHtml, /value="Acme"/);
    const ok = await postForm(t, "/setup", {
      token,
      email: "first@example.com",
      password: "long enough password",
      workspace: "Acme",
      slug: "acme",
    });
    assert.equal(ok.status, 200);
    const rows = await t.deps.db.query<{ name: string; slug: string }>("select name, slug from workspaces");
    assert.deepEqual(rows.map((r) => [r.name, r.slug]), [["Acme", "acme"]]);
  } finally {
    await t.close();
  }
});
