/**
 * CLI commands for people: `sluice workspace add-member` and `sluice user reset-password`. They act as
 * the operator (full access to the store they open) and call the same services as REST and the pages.
 */
import { addMember } from "../services/members.ts";
import { issuePasswordReset } from "../services/passwords.ts";
import { parseFlags, required } from "./args.ts";
import type { StoreCommand } from "./commands.ts";
import { operatorCtx } from "./dead_letter.ts";

export const workspaceAddMember: StoreCommand = {
  usage: `sluice workspace add-member --workspace W --email E --role owner|editor|analyst
  Adds the user E to workspace W (id or slug) with the role. An email without an account gets a one-time
  invite link instead (valid 7 days), printed once.`,
  async run(deps, args, io) {
    const f = parseFlags(args, {
      workspace: { type: "string" },
      email: { type: "string" },
      role: { type: "string" },
    });
    const out = await addMember(operatorCtx(deps), {
      workspaceId: required(f, "workspace"),
      email: required(f, "email"),
      role: required(f, "role"),
    });
    if (out.member) io.stdout(`added ${out.member.email} as ${out.member.role}`);
    else {
      io.stdout(out.invite.link);
      io.stderr(
        `${out.invite.email} has no account: send them this invite link (works once, until ${out.invite.expiresAt}).`,
      );
    }
  },
};

export const userResetPassword: StoreCommand = {
  usage: `sluice user reset-password --email E
  Prints a one-time link (valid 1 hour) where the user E chooses a new password; the link printed before
  stops working. Setting the new password signs the user out everywhere.`,
  async run(deps, args, io) {
    const f = parseFlags(args, { email: { type: "string" } });
    const { link, expiresAt } = await issuePasswordReset(deps, { email: required(f, "email") });
    io.stdout(link);
    io.stderr(`This link works once, until ${expiresAt.toISOString()}.`);
  },
};
