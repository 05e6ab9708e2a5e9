import * as v from "valibot";
import { TestConnectionInput, testDestinationConnection } from "../../services/test_connection.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `test_connection`: checks a destination's credentials (Jitsu's tool of the same name). */
export function testConnectionTool(): Tool {
  return defineTool({
    name: "test_connection",
    title: "Test a destination connection",
    description:
      "Checks that Sluice can reach and write to a destination. Warehouses (postgres, mysql, clickhouse): it " +
      "logs in with the credentials (password, TLS/sslMode) and creates and drops a probe table; s3 puts and " +
      "deletes a probe object. Product APIs (mixpanel, amplitude, posthog, ...): an authenticated call that " +
      "records no event; `message` says what was checked and what cannot be without sending an event. " +
      "Pass `id` to test a " +
      "stored destination, `config` to test fields before saving them, or both (masked secrets in config " +
      "keep the stored ones). Answers {ok, step, error}; `error` says exactly what failed, e.g. a wrong " +
      "password or a missing CREATE permission. Find destination ids with list_resources.",
    input: TestConnectionInput,
    output: v.object({
      ok: v.boolean(),
      destinationType: v.string(),
      step: v.optional(v.string()),
      error: v.optional(v.string()),
      message: v.optional(v.string()),
    }),
    // Not read-only: it creates (and drops) a table or an object at the customer's destination.
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async run(ctx, args) {
      return await testDestinationConnection(ctx, args);
    },
  });
}
