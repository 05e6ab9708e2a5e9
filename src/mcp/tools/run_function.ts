import * as v from "valibot";
import { runFunction, RunFunctionInput } from "../../sandbox/run_function.ts";
import { defineTool, type Tool } from "../define_tool.ts";

const FunctionErrorOut = v.object({
  functionId: v.string(),
  name: v.string(),
  message: v.string(),
  stack: v.optional(v.string()),
  line: v.optional(v.number()),
  column: v.optional(v.number()),
});

const Output = v.object({
  result: v.nullable(
    v.union([v.record(v.string(), v.unknown()), v.array(v.record(v.string(), v.unknown()))]),
  ),
  dropped: v.boolean(),
  logs: v.array(v.object({
    level: v.string(),
    type: v.string(),
    functionId: v.string(),
    message: v.string(),
    args: v.optional(v.array(v.unknown())),
    timestamp: v.string(),
    data: v.optional(v.record(v.string(), v.unknown())),
  })),
  store: v.record(v.string(), v.unknown()),
  error: v.nullable(FunctionErrorOut),
  retry: v.nullable(v.object({ message: v.string(), drop: v.boolean() })),
});

/** `run_function`: a sandboxed test run of a function on a sample event; nothing is saved. */
export function runFunctionTool(): Tool {
  return defineTool({
    name: "run_function",
    title: "Run a function on a sample event",
    description: "Runs a function on one sample event in the same sandbox the pipeline uses and returns " +
      "the resulting event (result; an array means fan out, null with dropped=true means dropped), every " +
      "ctx.log call and ctx.fetch (logs), the ctx.store content after the run (store), and the error with " +
      "its line number if the code threw. Give functionId to run a saved function (its draft if it has " +
      "one, else its code), or code to try new source before saving it with update_resource. props are " +
      "ctx.props (a connection's functionsEnv). Nothing is saved and no Live Events are written: ctx.store " +
      "is a copy seeded from store and returned, never the workspace's real store, so read-only access may " +
      "run it. ctx.fetch does reach the network, so the code can change things outside Sluice: run only " +
      "code the user wants run.",
    input: RunFunctionInput,
    output: Output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    // It stores nothing in Sluice (the store is a copy), so read-only grants may run it.
    writes: false,
    async run(ctx, args) {
      return await runFunction(ctx, args);
    },
  });
}
