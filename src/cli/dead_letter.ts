/**
 * CLI commands for the dead letter: `sluice deadletter list` and `sluice deadletter replay`. They act
 * as the operator (full access to the store they open), so they take a workspace, not a user.
 */
import type { Ctx, Deps } from "../deps.ts";
import { listDeadLetter, replayDeadLetter } from "../pipeline/dead_letter.ts";
import { parseFlags, required } from "./args.ts";
import type { StoreCommand } from "./commands.ts";
import { UsageError } from "./io.ts";

/** The operator: full access to the store the CLI opened, recorded as channel `cli`. */
export function operatorCtx(deps: Deps): Ctx {
  return {
    ...deps,
    principal: {
      userId: "cli",
      email: "cli",
      isAdmin: true,
      via: { kind: "cli" },
      workspaceIds: null,
      canWrite: true,
    },
    requestId: "cli",
    channel: "cli",
  };
}

export const deadLetterList: StoreCommand = {
  usage: `sluice deadletter list --workspace W [--connection C] [--limit N]
  Lists dead letters (deliveries that failed every retry), newest first: id, date, connection, error.`,
  async run(deps, args, io) {
    const f = parseFlags(args, {
      workspace: { type: "string" },
      connection: { type: "string" },
      limit: { type: "string" },
    });
    const limit = f.limit === undefined ? undefined : Number(f.limit);
    if (limit !== undefined && !Number.isInteger(limit)) {
      throw new UsageError(`--limit must be a whole number`);
    }
    const rows = await listDeadLetter(operatorCtx(deps), {
      workspaceId: required(f, "workspace"),
      connectionId: f.connection ?? null,
      ...(limit !== undefined ? { limit } : {}),
    });
    io.stdout(["ID", "DATE", "CONNECTION", "MESSAGE ID", "ATTEMPTS", "ERROR"].join("\t"));
    for (const r of rows) {
      io.stdout([r.id, r.date, r.actorId, r.messageId, r.attempts, r.error.replace(/\s+/g, " ")].join("\t"));
    }
  },
};

export const deadLetterReplay: StoreCommand = {
  usage: `sluice deadletter replay --workspace W [--connection C] [--id ID,ID...]
  Puts dead letters back in the queue (all of the workspace, one connection's, or the given ids) and
  prints how many. A running server delivers them with a fresh retry budget.`,
  async run(deps, args, io) {
    const f = parseFlags(args, {
      workspace: { type: "string" },
      connection: { type: "string" },
      id: { type: "string" },
    });
    const r = await replayDeadLetter(operatorCtx(deps), {
      workspaceId: required(f, "workspace"),
      connectionId: f.connection ?? null,
      ...(f.id ? { ids: f.id.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
    });
    io.stdout(`replayed ${r.replayed}`);
  },
};
