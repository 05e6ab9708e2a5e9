/**
 * The Members page, read-only for now: listMembers (as `GET /api/workspace/{ws}/members`), members and
 * pending invites. Adding, changing and removing members goes through the REST API, MCP or the CLI.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { listMembers } from "../../services/members.ts";
import { ConsoleLayout, openConsole } from "./shell.tsx";

type Members = Awaited<ReturnType<typeof listMembers>>;

function MemberRow({ m }: { m: Members["members"][number] }) {
  return (
    <tr data-user={m.userId}>
      <td>{m.name ? `${m.name} <${m.email}>` : m.email}</td>
      <td>{m.role}</td>
      <td class="muted">{m.createdAt.slice(0, 10)}</td>
    </tr>
  );
}

function InviteRow({ i }: { i: Members["invites"][number] }) {
  return (
    <tr>
      <td>{i.email}</td>
      <td>{i.role}</td>
      <td class="muted">until {i.expiresAt.slice(0, 10)}</td>
    </tr>
  );
}

function memberRow(m: Members["members"][number]) {
  return <MemberRow m={m} />;
}

function inviteRow(i: Members["invites"][number]) {
  return <InviteRow i={i} />;
}

/** `/{ws}/members`. */
export async function membersPage(c: Context<AppEnv>) {
  const page = await openConsole(c, c.req.param("ws") ?? "");
  if (page instanceof Response) return page;
  const { members, invites } = await listMembers(page.ctx, { workspaceId: page.workspace.id });
  return c.html(
    <ConsoleLayout page={page} title="Members" section="Members">
      <div class="card">
        <h1>Members</h1>
        <table id="members">
          <thead>
            <tr>
              <th>Who</th>
              <th>Role</th>
              <th>Since</th>
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
        <p class="muted">
          Owners add members with <code>sluice workspace add-member</code>, the REST API (<code>
            /api/workspace/{page.key}/members
          </code>) or an AI agent.
        </p>
      </div>
    </ConsoleLayout>,
  );
}
