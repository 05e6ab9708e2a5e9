import * as v from "valibot";
import { listWorkspaces } from "../../services/workspaces.ts";
import { parseInput } from "../../validation.ts";
import { defineTool, type Tool } from "../define_tool.ts";
import { clampLimit } from "./limit.ts";

const MAX = 100;

const Input = v.object({
  limit: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1, "at least 1"),
      v.description(
        `How many workspaces (default ${MAX}, at most ${MAX}: a larger limit is clamped to ${MAX} and the ` +
          "result's notice says so).",
      ),
    ),
    MAX,
  ),
  offset: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(0, "at least 0"),
      v.description("How many to skip, for the next page (default 0)."),
    ),
    0,
  ),
});

const Workspace = v.object({
  id: v.string(),
  name: v.string(),
  slug: v.nullable(v.string()),
  role: v.nullable(v.string()),
  createdAt: v.string(),
  updatedAt: v.string(),
});

const Output = v.object({
  workspaces: v.array(Workspace),
  limit: v.number(),
  offset: v.number(),
  hasMore: v.boolean(),
  notice: v.optional(v.string()),
});

/** `list_workspaces`: the workspaces the caller can use, by name, paginated (Jitsu's arguments). */
export function listWorkspacesTool(): Tool {
  return defineTool({
    name: "list_workspaces",
    title: "List workspaces",
    description:
      "Lists the workspaces you can access, with their id, name and slug. Call this first: every " +
      "other tool takes a workspaceId, and either the id or the slug works. Paginated: when hasMore is true, " +
      "call again with offset = offset + limit.",
    input: Input,
    output: Output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(ctx, args) {
      const { args: clamped, notice } = clampLimit(args, MAX);
      const page = parseInput(Input, clamped, "Cannot list workspaces");
      // One extra row says whether another page exists without counting.
      const rows = await listWorkspaces(ctx, { limit: page.limit + 1, offset: page.offset });
      return {
        workspaces: rows.slice(0, page.limit),
        limit: page.limit,
        offset: page.offset,
        hasMore: rows.length > page.limit,
        ...(notice ? { notice } : {}),
      };
    },
  });
}
