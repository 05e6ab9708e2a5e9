/** Workspace members over REST and the CLI: add, invite, change a role, remove; who may; the last owner. */
import assert from "node:assert/strict";
import type { CliIo } from "../../src/cli/io.ts";
import { userResetPassword, workspaceAddMember } from "../../src/cli/members.ts";
import { acceptInvite, inviteDetails } from "../../src/services/invites.ts";
import { listMembers } from "../../src/services/members.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return {
    out,
    err,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    readStdin: () => Promise.resolve(""),
    promptSecret: () => Promise.resolve(null),
  };
}

Deno.test("members: an owner adds, re-roles and removes a member; the member then sees the workspace", async () => {
  const t = await testApp();
  try {
    const owner = await t.user();
    const bob = await t.user();
    const ws = owner.workspace.id;
    const path = `/api/workspace/${ws}/members`;
    const h = { authorization: owner.auth };
    assert.equal(
      (await t.request(`/api/workspace/${ws}`, { headers: { authorization: bob.auth } })).status,
      404,
    );

    const added = await expectJson(
      await t.request(path, {
        method: "POST",
        headers: h,
        json: { email: bob.email.toUpperCase(), role: "analyst" },
      }),
      201,
    );
    assert.deepEqual({ ...added.member, createdAt: undefined }, {
      userId: bob.id,
      email: bob.email,
      name: null,
      role: "analyst",
      createdAt: undefined,
    });
    await expectJson(await t.request(`/api/workspace/${ws}`, { headers: { authorization: bob.auth } }), 200);
    const again = await expectJson(
      await t.request(path, { method: "POST", headers: h, json: { email: bob.email, role: "editor" } }),
      409,
    );
    assert.match(again.error.message, /is already a member/);

    // The analyst reads the list but changes nothing.
    const list = await expectJson(await t.request(path, { headers: { authorization: bob.auth } }), 200);
    assert.deepEqual(
      list.members.map((m: { email: string; role: string }) => [m.email, m.role]).sort(),
      [
        [bob.email, "analyst"],
        [owner.email, "owner"],
      ].sort(),
    );
    const denied = await t.request(`${path}/${owner.id}`, {
      method: "PATCH",
      headers: { authorization: bob.auth },
      json: { role: "analyst" },
    });
    assert.equal(denied.status, 403);

    // An editor cannot change members either.
    await expectJson(
      await t.request(`${path}/${bob.id}`, { method: "PATCH", headers: h, json: { role: "editor" } }),
      200,
    );
    const editorTry = await expectJson(
      await t.request(path, {
        method: "POST",
        headers: { authorization: bob.auth },
        json: { email: "x@example.com", role: "owner" },
      }),
      403,
    );
    assert.match(editorTry.error.message, /only owners of workspace .* and admins change members/);

    const badRole = await expectJson(
      await t.request(`${path}/${bob.id}`, { method: "PATCH", headers: h, json: { role: "boss" } }),
      400,
    );
    assert.match(badRole.error.message, /role: must be one of owner, editor, analyst/);
    const badEmail = await expectJson(
      await t.request(path, { method: "POST", headers: h, json: { email: "not-an-email", role: "editor" } }),
      400,
    );
    assert.match(badEmail.error.message, /email: must be an email address/);

    const removed = await expectJson(
      await t.request(`${path}/${bob.id}`, { method: "DELETE", headers: h }),
      200,
    );
    assert.deepEqual(removed, { removed: true, userId: bob.id });
    assert.equal(
      (await t.request(`/api/workspace/${ws}`, { headers: { authorization: bob.auth } })).status,
      404,
    );
    assert.equal((await t.request(`${path}/${bob.id}`, { method: "DELETE", headers: h })).status, 404);

    // Every change is in the audit log with its channel, newest first, filtered by object.
    const audit = await expectJson(
      await t.request(`/api/${ws}/audit-log?type=member&objectId=${bob.id}`, { headers: h }),
      200,
    );
    assert.deepEqual(audit.entries.map((e: { action: string; channel: string }) => [e.action, e.channel]), [
      ["delete", "rest"],
      ["update", "rest"],
      ["create", "rest"],
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("members: the last owner can be neither removed nor demoted; a second owner can", async () => {
  const t = await testApp();
  try {
    const owner = await t.user();
    const other = await t.user();
    const ws = owner.workspace.id;
    const path = `/api/workspace/${ws}/members`;
    const h = { authorization: owner.auth };
    const remove = await expectJson(
      await t.request(`${path}/${owner.id}`, { method: "DELETE", headers: h }),
      409,
    );
    assert.match(remove.error.message, /a workspace keeps at least one owner/);
    const demote = await expectJson(
      await t.request(`${path}/${owner.id}`, { method: "PATCH", headers: h, json: { role: "editor" } }),
      409,
    );
    assert.match(demote.error.message, /the last owner of a workspace stays owner/);
    await expectJson(
      await t.request(path, { method: "POST", headers: h, json: { email: other.email, role: "owner" } }),
      201,
    );
    await expectJson(await t.request(`${path}/${owner.id}`, { method: "DELETE", headers: h }), 200);
    const left = await listMembers(other.ctx, { workspaceId: ws });
    assert.deepEqual(left.members.map((m) => m.email), [other.email]);
  } finally {
    await t.close();
  }
});

Deno.test("members of workspace A cannot read or change B's members", async () => {
  const t = await testApp();
  try {
    const a = await t.user();
    const b = await t.user();
    const path = `/api/workspace/${b.workspace.id}/members`;
    assert.equal((await t.request(path, { headers: { authorization: a.auth } })).status, 404);
    const post = await t.request(path, {
      method: "POST",
      headers: { authorization: a.auth },
      json: { email: a.email, role: "owner" },
    });
    assert.equal(post.status, 404);
    assert.equal(
      (await t.request(`${path}/${b.id}`, { method: "DELETE", headers: { authorization: a.auth } })).status,
      404,
    );
    const admin = await t.user(undefined, { admin: true });
    await expectJson(
      await t.request(path, {
        method: "POST",
        headers: { authorization: admin.auth },
        json: { email: a.email, role: "analyst" },
      }),
      201,
    );
  } finally {
    await t.close();
  }
});

Deno.test("an invite for an email without an account works once, and the CLI adds members and prints invites", async () => {
  const t = await testApp();
  try {
    const owner = await t.user();
    const ws = owner.workspace.id;
    const h = { authorization: owner.auth };
    const res = await expectJson(
      await t.request(`/api/workspace/${ws}/members`, {
        method: "POST",
        headers: h,
        json: { email: "new@example.com", role: "editor" },
      }),
      201,
    );
    assert.equal(res.member, undefined);
    const token = new URL(res.invite.link).searchParams.get("token")!;
    assert.ok(res.invite.link.startsWith("http://localhost:3000/invite?token="));
    // Only the hash is stored.
    const stored = await t.deps.db.query<{ token_hash: string }>("select token_hash from workspace_invites");
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0].token_hash, token);
    const list = await expectJson(await t.request(`/api/workspace/${ws}/members`, { headers: h }), 200);
    assert.deepEqual(list.invites.map((i: { email: string; role: string }) => [i.email, i.role]), [[
      "new@example.com",
      "editor",
    ]]);
    assert.equal(JSON.stringify(list).includes(token), false);

    assert.deepEqual((await inviteDetails(t.deps, token)).email, "new@example.com");
    await assert.rejects(
      acceptInvite(t.deps, { token, password: "short" }),
      /password: must be at least 8 characters/,
    );
    const accepted = await acceptInvite(t.deps, { token, password: "a good password" });
    assert.equal(accepted.workspaceId, ws);
    await assert.rejects(
      acceptInvite(t.deps, { token, password: "a good password" }),
      /invalid, expired or was already used/,
    );
    const after = await listMembers(owner.ctx, { workspaceId: ws });
    assert.deepEqual(after.invites, []);
    assert.ok(after.members.some((m) => m.email === "new@example.com" && m.role === "editor"));

    // The CLI: an existing user is added; an unknown email gets an invite link on stdout.
    const carol = await t.user();
    const io = captureIo();
    await workspaceAddMember.run(
      t.deps,
      ["--workspace", ws, "--email", carol.email, "--role", "analyst"],
      io,
    );
    assert.deepEqual(io.out, [`added ${carol.email} as analyst`]);
    const io2 = captureIo();
    await workspaceAddMember.run(t.deps, [
      "--workspace",
      ws,
      "--email",
      "later@example.com",
      "--role",
      "editor",
    ], io2);
    assert.match(io2.out[0], /^http:\/\/localhost:3000\/invite\?token=/);
    await assert.rejects(
      workspaceAddMember.run(
        t.deps,
        ["--workspace", ws, "--email", carol.email, "--role", "king"],
        captureIo(),
      ),
      /role: must be one of owner, editor, analyst/,
    );
    const audit = await expectJson(
      await t.request(`/api/${ws}/audit-log?objectId=${carol.id}`, { headers: h }),
      200,
    );
    assert.equal(audit.entries[0].channel, "cli");

    const io3 = captureIo();
    await userResetPassword.run(t.deps, ["--email", carol.email], io3);
    assert.match(io3.out[0], /^http:\/\/localhost:3000\/reset-password\?token=/);
  } finally {
    await t.close();
  }
});

Deno.test("renaming a workspace is in its audit log with the channel", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    await expectJson(
      await t.request(`/api/workspace/${ws}`, {
        method: "PUT",
        headers: { authorization: u.auth },
        json: { name: "Renamed", slug: "renamed-ws" },
      }),
      200,
    );
    const audit = await expectJson(
      await t.request(`/api/${ws}/audit-log?type=workspace`, { headers: { authorization: u.auth } }),
      200,
    );
    assert.equal(audit.entries.length, 1);
    const [e] = audit.entries;
    assert.deepEqual([e.action, e.channel, e.objectId], ["update", "rest", ws]);
    assert.deepEqual(e.after, { name: "Renamed", slug: "renamed-ws" });
    assert.equal(e.before.name, u.workspace.name);
  } finally {
    await t.close();
  }
});
