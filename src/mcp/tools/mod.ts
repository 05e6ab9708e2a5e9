import type { Tool } from "../define_tool.ts";
import { createResourceTool } from "./create_resource.ts";
import { deleteResourceTool } from "./delete_resource.ts";
import { getEventStatTool } from "./get_event_stat.ts";
import { getResourceTool } from "./get_resource.ts";
import { getResourceSchemaTool } from "./get_resource_schema.ts";
import { listEventSourcesTool } from "./list_event_sources.ts";
import { listResourcesTool } from "./list_resources.ts";
import { listWorkspacesTool } from "./list_workspaces.ts";
import { queryEventsTool } from "./query_events.ts";
import { runFunctionTool } from "./run_function.ts";
import { sendTestEventTool } from "./send_test_event.ts";
import { testConnectionTool } from "./test_connection.ts";
import { updateResourceTool } from "./update_resource.ts";
import { getConnectorSpecTool } from "./get_connector_spec.ts";
import { checkSourceCredentialsTool } from "./check_source_credentials.ts";
import { discoverStreamsTool } from "./discover_streams.ts";
import { runSyncTool } from "./run_sync.ts";
import { cancelSyncTool } from "./cancel_sync.ts";
import { listSyncTasksTool } from "./list_sync_tasks.ts";
import { getSyncLogsTool } from "./get_sync_logs.ts";
import { getSyncStateTool } from "./get_sync_state.ts";
import { resetSyncStateTool } from "./reset_sync_state.ts";
import { getSyncStatTool } from "./get_sync_stat.ts";

/**
 * Every MCP tool, in the order tools/list shows them (the order a model would use them): the nine that read
 * and change configuration and read Live Events first, then the tools that run something. A new tool goes at
 * the end, so the order clients and snapshots see stays stable. Adding or changing a tool changes its
 * snapshot in tests/mcp/__snapshots__/tools/: review, then
 * `UPDATE_SNAPSHOTS=1 deno test -A tests/mcp/tools_test.ts`.
 */
export function toolList(): Tool[] {
  return [
    listWorkspacesTool(),
    listResourcesTool(),
    getResourceTool(),
    getResourceSchemaTool(),
    createResourceTool(),
    updateResourceTool(),
    deleteResourceTool(),
    listEventSourcesTool(),
    queryEventsTool(),
    runFunctionTool(),
    sendTestEventTool(),
    testConnectionTool(),
    getConnectorSpecTool(),
    checkSourceCredentialsTool(),
    discoverStreamsTool(),
    runSyncTool(),
    cancelSyncTool(),
    listSyncTasksTool(),
    getSyncLogsTool(),
    getSyncStateTool(),
    resetSyncStateTool(),
    getSyncStatTool(),
    getEventStatTool(),
  ];
}
