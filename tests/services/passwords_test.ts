/** Password change, reset links and invite expiry, on a clock the test moves. */
import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "../../src/auth/password.ts";
import { fakeClock } from "../../src/clock.ts";
import { acceptInvite } from "../../src/services/invites.ts";
import { addMember } from "../../src/services/members.ts";
import {
  changePassword,
  completePasswordReset,
  issuePasswordReset,
  passwordResetEmail,
} from "../../src/services/passwords.ts";
import { findUserByEmail, setUserPassword } from "../../src/store/users_repo.ts";
import { testApp } from "../_helpers/app.ts";

async function sessionsOf(db: { query<T>(sql: string, p?: unknown[]): Promise<T[]> }, userId: string) {
  const rows = await db.query<{ id: string }>("select id from sessions where user_id = $1 order by id", [
    userId,
  ]);
  return rows.map((r) => r.id);
}

async function addSession(
  db: { query(sql: string, p?: unknown[]): Promise<unknown> },
  id: string,
  userId: string,
) {
  await db.query(
    "insert into sessions (id, user_id, created_at, expires_at, last_seen_at) values ($1, $2, now(), now() + interval '1 day', now())",
    [id, userId],
  );
}

Deno.test("changePassword() needs the current password and ends the user's other sessions", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    await setUserPassword(t.deps.db, u.id, await hashPassword("old password", 1000));
    await addSession(t.deps.db, "s-this", u.id);
    await addSession(t.deps.db, "s-other", u.id);
    await assert.rejects(
      changePassword(u.ctx, { currentPassword: "wrong one", newPassword: "new password" }),
      /Cannot change password: currentPassword: is not your current password/,
    );
    await assert.rejects(
      changePassword(u.ctx, { currentPassword: "old password", newPassword: "short" }),
      /newPassword: must be at least 8 characters/,
    );
    assert.deepEqual(
      await changePassword(u.ctx, { currentPassword: "old password", newPassword: "new password" }, {
        keepSessionId: "s-this",
      }),
      { changed: true },
    );
    const row = await findUserByEmail(t.deps.db, u.email);
    assert.equal(await verifyPassword("new password", row!.password_hash), true);
    assert.equal(await verifyPassword("old password", row!.password_hash), false);
    assert.deepEqual(await sessionsOf(t.deps.db, u.id), ["s-this"]);
  } finally {
    await t.close();
  }
});

Deno.test("a password reset link works once, for an hour, and signs the user out everywhere", async () => {
  const clock = fakeClock();
  const t = await testApp({ clock });
  try {
    const u = await t.user();
    await assert.rejects(
      issuePasswordReset(t.deps, { email: "nobody@example.com" }),
      /no user has the email/,
    );
    const first = await issuePasswordReset(t.deps, { email: u.email });
    const second = await issuePasswordReset(t.deps, { email: u.email });
    const token = (link: string) => new URL(link).searchParams.get("token")!;
    // A new link replaces the earlier one.
    await assert.rejects(
      passwordResetEmail(t.deps, token(first.link)),
      /invalid, expired or was already used/,
    );
    assert.equal(await passwordResetEmail(t.deps, token(second.link)), u.email);
    const stored = await t.deps.db.query<{ token_hash: string }>("select token_hash from password_resets");
    assert.equal(stored.some((r) => r.token_hash === token(second.link)), false);

    await addSession(t.deps.db, "s1", u.id);
    await assert.rejects(
      completePasswordReset(t.deps, { token: token(second.link), password: "2short" }),
      /at least 8/,
    );
    assert.deepEqual(
      await completePasswordReset(t.deps, { token: token(second.link), password: "brand new pass" }),
      {
        email: u.email,
      },
    );
    assert.deepEqual(await sessionsOf(t.deps.db, u.id), []);
    const row = await findUserByEmail(t.deps.db, u.email);
    assert.equal(await verifyPassword("brand new pass", row!.password_hash), true);
    await assert.rejects(
      completePasswordReset(t.deps, { token: token(second.link), password: "another pass" }),
      /already used/,
    );

    const third = await issuePasswordReset(t.deps, { email: u.email });
    clock.advance(3600_000 + 1);
    await assert.rejects(
      completePasswordReset(t.deps, { token: token(third.link), password: "late password" }),
      /expired/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("an invite expires after 7 days, and cannot take over an email that got an account", async () => {
  const clock = fakeClock();
  const t = await testApp({ clock });
  try {
    const owner = await t.user();
    const ws = owner.workspace.id;
    const a = await addMember(owner.ctx, { workspaceId: ws, email: "late@example.com", role: "editor" });
    clock.advance(7 * 86_400_000 + 1);
    const tokenA = new URL(a.invite!.link).searchParams.get("token")!;
    await assert.rejects(acceptInvite(t.deps, { token: tokenA, password: "password one" }), /expired/);

    const b = await addMember(owner.ctx, { workspaceId: ws, email: "taken@example.com", role: "owner" });
    await t.user("taken@example.com");
    const tokenB = new URL(b.invite!.link).searchParams.get("token")!;
    await assert.rejects(acceptInvite(t.deps, { token: tokenB, password: "password two" }), /exists already/);
  } finally {
    await t.close();
  }
});
