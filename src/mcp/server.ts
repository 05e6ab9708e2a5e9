import { ProtocolError, ProtocolErrorCode, Server } from "@modelcontextprotocol/server";
import type { Ctx } from "../deps.ts";
import { VERSION } from "../version.ts";
import type { Tool } from "./define_tool.ts";
import { toolList } from "./tools/mod.ts";

const INSTRUCTIONS = "Sluice manages an event pipeline (Jitsu-compatible): streams receive events, " +
  "connections route them through functions to destinations, and Live Events show what happened. " +
  "Start with list_workspaces; call get_resource_schema before create_resource or update_resource; " +
  "read failures with list_event_sources and query_events.";

interface Catalog {
  byName: Map<string, Tool>;
  listResult: { tools: Tool["listEntry"][] };
}

let catalog: Catalog | null = null;

/** The tools and their `tools/list` answer, built on first use and then shared by every request. */
export function toolCatalog(): Catalog {
  if (!catalog) {
    const tools = toolList();
    catalog = {
      byName: new Map(tools.map((t) => [t.name, t])),
      listResult: { tools: tools.map((t) => t.listEntry) },
    };
  }
  return catalog;
}

/**
 * A fresh low-level MCP server for one HTTP request, acting for `ctx`'s principal. Stateless: nothing
 * survives the request, so any instance serves any request. Only two handlers are set; the
 * tool list and its JSON Schemas are shared (toolCatalog), so building one costs microseconds.
 */
export function buildMcpServer(ctx: Ctx): Server {
  const { byName, listResult } = toolCatalog();
  const server = new Server(
    { name: "sluice", title: "Sluice", version: VERSION },
    // listChanged: false: the tool list is fixed for the life of the process. `logging` lets 2025-era
    // clients call logging/setLevel (the SDK answers it); Sluice sends no log notifications.
    { capabilities: { tools: { listChanged: false }, logging: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler("tools/list", function listTools() {
    return listResult;
  });
  server.setRequestHandler("tools/call", async function callTool(request) {
    const tool = byName.get(request.params.name);
    if (!tool) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Tool ${request.params.name} not found; tools/list names the ${byName.size} tools`,
      );
    }
    const args = request.params.arguments ?? {};
    const start = performance.now();
    const result = await tool.call(ctx, args);
    // The request line says POST /mcp; this one says which tool ran and whether the model got an error.
    ctx.log.debug("mcp tool", {
      tool: tool.name,
      isError: result.isError === true,
      ms: Math.round((performance.now() - start) * 10) / 10,
      requestId: ctx.requestId,
    });
    return server.projectCallToolResult(result, result.isError ? undefined : tool.outputJsonSchema);
  });
  return server;
}
