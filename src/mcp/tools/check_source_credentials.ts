import * as v from "valibot";
import { checkSourceCredentials, ServiceRefInput } from "../../sync/source.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `check_source_credentials` (Jitsu's tool of the same name; docs/syncs.md). */
export function checkSourceCredentialsTool(): Tool {
  return defineTool({
    name: "check_source_credentials",
    title: "Check a service's credentials",
    description:
      "Runs the connector's `check` command with a stored service's credentials. Answers {ok, status: SUCCEEDED|FAILED, message}; the message says what the source refused. Find service ids with list_resources type=service.",
    input: ServiceRefInput,
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async run(ctx, args) {
      return await checkSourceCredentials(ctx, args);
    },
  });
}
