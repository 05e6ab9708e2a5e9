/**
 * `POST /api/{ws}/function/run` and the MCP tool `run_function`: runs a function on a sample event in
 * the real sandbox (same limits, same `ctx`) without saving anything. The store is an in-memory copy
 * seeded from the input, so a test run never touches the workspace's real `ctx.store`.
 */
import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { MAX_CODE } from "../resources/function.ts";
import { getResource } from "../services/resources.ts";
import { resolveWorkspace } from "../services/workspaces.ts";
import { parseInput } from "../validation.ts";
import { memoryFunctionStore } from "./function_store.ts";
import type { FunctionError, FunctionLog } from "./protocol.ts";

const JsonObject = v.record(v.string(), v.unknown(), "must be an object");

export const RunFunctionInput = v.object({
  workspaceId: v.pipe(v.string("must be a string"), v.minLength(1, "required")),
  functionId: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.minLength(1, "must not be empty"),
      v.description("A saved function; its draft (if any) or code runs unless `code` is given."),
    ),
  ),
  code: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.minLength(1, "must not be empty"),
      v.maxLength(MAX_CODE, `at most ${MAX_CODE} characters`),
      v.description(
        "Source to run instead of the saved one: `export default async function(event, ctx) {...}`.",
      ),
    ),
  ),
  event: v.pipe(JsonObject, v.description("The sample event the function receives.")),
  props: v.optional(v.pipe(JsonObject, v.description("`ctx.props` (a connection's functionsEnv)."))),
  variables: v.optional(v.pipe(JsonObject, v.description("Alias of `props` (Jitsu's MCP argument)."))),
  store: v.optional(v.pipe(JsonObject, v.description("Initial `ctx.store` content: `{key: value}`."))),
});

export interface RunFunctionResult {
  /** The event after the function: an object, an array (fan out), or null when dropped. */
  result: Record<string, unknown> | Record<string, unknown>[] | null;
  dropped: boolean;
  logs: FunctionLog[];
  /** `ctx.store` content after the run. */
  store: Record<string, unknown>;
  error: FunctionError | null;
  /** Set when the function asked for a retry (RetryError) or hit a limit. */
  retry: { message: string; drop: boolean } | null;
}

/** Looks up a saved function's code: draft first (what someone is editing), then the saved code. */
export type FunctionCodeLoader = (
  ctx: Ctx,
  workspaceId: string,
  functionId: string,
) => Promise<string | null>;

/** The saved draft, else the saved code, of a function (404 when there is no such function). */
export async function savedFunctionCode(
  ctx: Ctx,
  workspaceId: string,
  functionId: string,
): Promise<string | null> {
  const f = await getResource(ctx, { workspaceId, type: "function", id: functionId });
  const draft = typeof f.draft === "string" && f.draft.trim() !== "" ? f.draft : null;
  return draft ?? (typeof f.code === "string" ? f.code : null);
}

/** Runs a function on one sample event; nothing is saved. */
export async function runFunction(
  ctx: Ctx,
  input: unknown,
  { loadCode = savedFunctionCode }: { loadCode?: FunctionCodeLoader } = {},
): Promise<RunFunctionResult> {
  const data = parseInput(RunFunctionInput, input, "Cannot run function");
  const ws = await resolveWorkspace(ctx, data.workspaceId);
  let code = data.code;
  if (code === undefined) {
    if (!data.functionId) {
      throw new ValidationError("Cannot run function: give `code` or the `functionId` of a saved function", [
        { path: "code", message: "required without functionId" },
      ]);
    }
    const saved = await loadCode(ctx, ws.id, data.functionId);
    if (saved === null) {
      throw new NotFoundError(`Cannot run function: function "${data.functionId}" not found`);
    }
    code = saved;
  }
  const functionId = data.functionId ? `udf.${data.functionId}` : "udf.test";
  const store = memoryFunctionStore(data.store ?? {}, ctx.clock);
  const now = ctx.clock.now().toISOString();
  const event = structuredClone(data.event);
  const outcome = await ctx.sandbox.runChain({
    workspaceId: ws.id,
    functions: [{ id: functionId, code }],
    event,
    ctx: {
      props: data.props ?? data.variables ?? {},
      headers: {},
      source: { id: "test", name: "Test run", type: "s2s" },
      destination: { id: "test", type: "devnull" },
      connection: { id: "test" },
      workspace: { id: ws.id },
      receivedAt: typeof event.receivedAt === "string" ? event.receivedAt : now,
      retries: 0,
    },
    store,
  });
  const result = outcome.events.length === 0
    ? null
    : outcome.events.length === 1
    ? outcome.events[0]
    : outcome.events;
  return {
    result,
    dropped: outcome.dropped,
    logs: outcome.logs,
    store: store.dump(),
    error: outcome.error ?? null,
    retry: outcome.retry ?? null,
  };
}
