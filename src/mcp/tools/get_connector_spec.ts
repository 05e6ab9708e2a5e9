import * as v from "valibot";
import { getConnectorSpec, SpecInput } from "../../sync/source.ts";
import { defineTool, type Tool } from "../define_tool.ts";

/** `get_connector_spec` (Jitsu's tool of the same name; docs/syncs.md). */
export function getConnectorSpecTool(): Tool {
  return defineTool({
    name: "get_connector_spec",
    title: "Get a source connector's spec",
    description:
      "Runs a source connector's `spec` command and returns its configuration schema (connectionSpecification: the fields a service's credentials take) and `secretFields` (airbyte_secret fields, masked in output and logs). `package` is a file name in the operator's SYNC_CONNECTORS_DIR or a Docker image such as airbyte/source-postgres; `version` its tag (default latest). Call it before creating a service.",
    input: SpecInput,
    output: v.looseObject({ ok: v.boolean() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async run(ctx, args) {
      return await getConnectorSpec(ctx, args);
    },
  });
}
