/**
 * The Members page: listMembers (as `GET /api/workspace/{ws}/members`), members and pending invites, and
 * for owners and admins the forms that call addMember, updateMemberRole, removeMember and cancelInvite
 * (the services REST, MCP and the CLI call: same checks, errors and audit entries). Each form posts with
 * the session's CSRF token and redirects back (POST-redirect-GET); a new invite's link is shown once.
 */
import type { Context, Hono } from "hono";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../http/env.ts";
import {
  addMember,
  cancelInvite,
  listMembers,
  removeMember,
  ROLES,
  updateMemberRole,
} from "../../services/members.ts";
import { type NewInviteLink, putInviteLink, takeInviteLink } from "./flash.ts";
import { ConsoleLayout, type ConsolePage, Notice, openConsole, openConsoleForm } from "./shell.tsx";

type Members = Awaited<ReturnType<typeof listMembers>>;

const NOTICES: Record<string, string> = {
  added: "Member added.",
  invited: "Invite made.",
  role: "Role changed.",
  removed: "Member removed.",
  cancelled: "Invite cancelled.",
};

function Csrf({ page }: { page: ConsolePage }) {
  return <input type="hidden" name="csrf" value={page.csrf} />;
}

function roleOption(role: string, selected: boolean) {
  return <option value={role} selected={selected}>{role}</option>;
}

function RoleSelect({ id, name, value }: { id: string; name: string; value?: string }) {
  return (
    <select id={id} name={name}>
      {ROLES.map((r) => roleOption(r, r === value))}
    </select>
  );
}

function MemberRow(
  { page, m, manage }: { page: ConsolePage; m: Members["members"][number]; manage: boolean },
) {
  return (
    <tr data-user={m.userId}>
      <td>{m.name ? `${m.name} <${m.email}>` : m.email}</td>
      <td>{m.role}</td>
      <td class="muted">{m.createdAt.slice(0, 10)}</td>
      {manage
        ? (
          <td>
            <form method="post" action={`${page.base}/members/role`} class="row">
              <Csrf page={page} />
              <input type="hidden" name="userId" value={m.userId} />
              <label for={`role-${m.userId}`} class="sr-only">Role of {m.email}</label>
              <RoleSelect id={`role-${m.userId}`} name="role" value={m.role} />
              <button type="submit" class="secondary">Change role</button>
            </form>
            <form method="post" action={`${page.base}/members/remove`}>
              <Csrf page={page} />
              <input type="hidden" name="userId" value={m.userId} />
              <button type="submit" class="danger" aria-label={`Remove ${m.email}`}>Remove</button>
            </form>
          </td>
        )
        : null}
    </tr>
  );
}

function InviteRow(
  { page, i, manage }: { page: ConsolePage; i: Members["invites"][number]; manage: boolean },
) {
  return (
    <tr>
      <td>{i.email}</td>
      <td>{i.role}</td>
      <td class="muted">until {i.expiresAt.slice(0, 10)}</td>
      {manage
        ? (
          <td>
            <form method="post" action={`${page.base}/members/cancel-invite`}>
              <Csrf page={page} />
              <input type="hidden" name="email" value={i.email} />
              <button type="submit" class="secondary" aria-label={`Cancel the invite of ${i.email}`}>
                Cancel invite
              </button>
            </form>
          </td>
        )
        : null}
    </tr>
  );
}

function AddForm({ page, values }: { page: ConsolePage; values: Record<string, string> }) {
  return (
    <form method="post" action={`${page.base}/members/add`} id="add-member">
      <h2>Add a member</h2>
      <Csrf page={page} />
      <label for="member-email">Email</label>
      <input
        id="member-email"
        name="email"
        type="email"
        required
        value={values.email ?? ""}
        autocomplete="off"
      />
      <label for="member-role">Role</label>
      <RoleSelect id="member-role" name="role" value={values.role ?? "editor"} />
      <p class="hint">
        An email without an account gets an invite link (valid 7 days), shown once, to send yourself.
      </p>
      <button type="submit">Add member</button>
    </form>
  );
}

interface ShowOptions {
  status?: 200 | 400 | 403 | 404 | 409;
  error?: string;
  values?: Record<string, string>;
}

async function showMembers(c: Context<AppEnv>, page: ConsolePage, opts: ShowOptions = {}) {
  const { members, invites } = await listMembers(page.ctx, { workspaceId: page.workspace.id });
  const mine = members.find((m) => m.userId === page.session.userId);
  // The forms are for those the service lets change members: owners and admins.
  const manage = page.session.isAdmin || mine?.role === "owner";
  const invite: NewInviteLink | undefined = opts.error
    ? undefined
    : await takeInviteLink(c, c.get("deps"), page.session);
  const memberRow = (m: Members["members"][number]) => <MemberRow page={page} m={m} manage={manage} />;
  const inviteRow = (i: Members["invites"][number]) => <InviteRow page={page} i={i} manage={manage} />;
  return c.html(
    <ConsoleLayout page={page} title="Members" section="Members">
      <div class="card">
        <h1>Members</h1>
        <Notice text={opts.error ? undefined : NOTICES[c.req.query("notice") ?? ""]} />
        {opts.error ? <p class="error" role="alert" id="members-error">{opts.error}</p> : null}
        {invite
          ? (
            <div class="warn" id="invite-link">
              <p>
                Send this link to {invite.email}; it is shown only now and works once, for 7 days:
              </p>
              <pre>{invite.link}</pre>
            </div>
          )
          : null}
        <table id="members">
          <thead>
            <tr>
              <th>Who</th>
              <th>Role</th>
              <th>Since</th>
              {manage ? <th>Change</th> : null}
            </tr>
          </thead>
          <tbody>{members.map(memberRow)}</tbody>
        </table>
        <h2>Pending invites</h2>
        {invites.length
          ? (
            <table id="invites">
              <tbody>{invites.map(inviteRow)}</tbody>
            </table>
          )
          : <p class="muted">No pending invite.</p>}
      </div>
      <div class="card">
        {manage ? <AddForm page={page} values={opts.values ?? {}} /> : (
          <p class="muted">
            Only the workspace's owners (and admins) add, change and remove members, here, with{" "}
            <code>sluice workspace add-member</code>, the REST API (<code>
              /api/workspace/{page.key}/members
            </code>) or an AI agent.
          </p>
        )}
      </div>
    </ConsoleLayout>,
    opts.status ?? 200,
  );
}

/** `/{ws}/members`. */
export async function membersPage(c: Context<AppEnv>) {
  const page = await openConsole(c, c.req.param("ws") ?? "");
  if (page instanceof Response) return page;
  return await showMembers(c, page);
}

function str(x: unknown): string {
  return typeof x === "string" ? x : "";
}

type Action = (page: ConsolePage, form: Record<string, unknown>, c: Context<AppEnv>) => Promise<string>;

const ACTIONS: Record<string, Action> = {
  async add(page, form, c) {
    const r = await addMember(page.ctx, {
      workspaceId: page.workspace.id,
      email: str(form.email),
      role: form.role,
    });
    if (!r.invite) return "added";
    await putInviteLink(c, c.get("deps"), page.session, { email: r.invite.email, link: r.invite.link });
    return "invited";
  },
  async role(page, form) {
    await updateMemberRole(page.ctx, {
      workspaceId: page.workspace.id,
      userId: form.userId,
      role: form.role,
    });
    return "role";
  },
  async remove(page, form) {
    await removeMember(page.ctx, { workspaceId: page.workspace.id, userId: form.userId });
    return "removed";
  },
  async "cancel-invite"(page, form) {
    await cancelInvite(page.ctx, { workspaceId: page.workspace.id, email: form.email });
    return "cancelled";
  },
};

const SHOWN_STATUSES = [400, 403, 404, 409] as const;

/** POST `/{ws}/members/{add|role|remove|cancel-invite}`: the service's answer, then back to the page. */
async function memberAction(c: Context<AppEnv>) {
  const action = ACTIONS[c.req.param("action") ?? ""];
  const opened = await openConsoleForm(c, c.req.param("ws") ?? "");
  if (opened instanceof Response) return opened;
  const { page, form } = opened;
  if (!action) return await showMembers(c, page, { status: 404, error: "No such members action." });
  try {
    const notice = await action(page, form, c);
    return c.redirect(`${page.base}/members?notice=${notice}`, 303);
  } catch (e) {
    if (!(e instanceof AppError && e.expose)) throw e;
    const status = SHOWN_STATUSES.find((s) => s === e.status) ?? 400;
    return await showMembers(c, page, {
      status,
      error: e.message,
      values: c.req.param("action") === "add" ? { email: str(form.email), role: str(form.role) } : {},
    });
  }
}

/** Mounts the Members page and its forms. */
export function mountMembers(app: Hono<AppEnv>) {
  app.get("/:ws/members", membersPage);
  app.post("/:ws/members/:action", memberAction);
}
