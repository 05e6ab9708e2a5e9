import type { CallToolResult, Tool as ToolListEntry } from "@modelcontextprotocol/server";
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { toolErrorResult } from "./errors.ts";

/** MCP tool annotations; every tool states all four (STYLE.md, after github-mcp-server). */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** What a tool file declares. */
export interface ToolSpec<O extends v.GenericSchema> {
  name: string;
  title: string;
  /** Written for a model: what it does, when to call it, what to call first. */
  description: string;
  /**
   * The arguments' schema: published as the tool's JSON Schema. Validation happens in `run` (usually
   * in the service it calls) so MCP and REST report the same message for the same input.
   */
  input: v.GenericSchema;
  /** The shape of `structuredContent`, published as `outputSchema`. */
  output: O;
  annotations: ToolAnnotations;
  /**
   * Whether the tool changes Sluice's stored state, so a read-only grant is refused it. Defaults to
   * `!readOnlyHint`; a tool that acts on the outside world but stores nothing (run_function) says false.
   */
  writes?: boolean;
  /** Does the work; `args` are the raw arguments (an object, possibly empty). */
  run(ctx: Ctx, args: Record<string, unknown>): Promise<v.InferInput<O>>;
}

/** A tool ready to serve: its `tools/list` entry is computed once, when the tool is defined. */
export interface Tool {
  name: string;
  /** The `tools/list` entry. */
  listEntry: ToolListEntry;
  /** The output JSON Schema, for the SDK's per-era result projection. */
  outputJsonSchema: Record<string, unknown>;
  /** Whether the tool changes data (refused on read-only connections). */
  writes: boolean;
  /** Runs the tool and maps failures: exposed AppErrors become `isError` results, anything else throws. */
  call(ctx: Ctx, args: Record<string, unknown>): Promise<CallToolResult>;
}

function jsonSchemaOf(schema: v.GenericSchema, typeMode: "input" | "output"): Record<string, unknown> {
  // "ignore": runtime-only checks (v.check) have no JSON Schema form; the published schema leaves them out
  // and validation still applies them.
  const out = toJsonSchema(schema, { target: "draft-2020-12", typeMode, errorMode: "ignore" }) as Record<
    string,
    unknown
  >;
  if (out.type !== "object") {
    throw new Error(`Tool schemas must be objects (got ${JSON.stringify(out.type)})`);
  }
  return out;
}

/**
 * Turns a tool file's declaration into a served tool. The JSON Schemas are converted here, once per
 * process, not per request: converting them per request was most of the cost of a stateless MCP call.
 */
export function defineTool<O extends v.GenericSchema>(spec: ToolSpec<O>): Tool {
  const inputSchema = jsonSchemaOf(spec.input, "input");
  const outputJsonSchema = jsonSchemaOf(spec.output, "output");
  const listEntry = {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema,
    outputSchema: outputJsonSchema,
    annotations: { title: spec.title, ...spec.annotations },
  } as ToolListEntry;
  const writes = spec.writes ?? !spec.annotations.readOnlyHint;
  return {
    name: spec.name,
    listEntry,
    outputJsonSchema,
    writes,
    async call(ctx, args) {
      if (writes && !ctx.principal.canWrite) return readOnlyResult(spec.name);
      try {
        const out = await spec.run(ctx, args);
        return {
          content: [{ type: "text", text: JSON.stringify(out) }],
          structuredContent: out as Record<string, unknown>,
        };
      } catch (e) {
        return toolErrorResult(ctx, spec.name, e);
      }
    },
  };
}

function readOnlyResult(tool: string): CallToolResult {
  return {
    content: [{
      type: "text",
      text: `Cannot run ${tool}: this connection is read-only. It was authorized without write access; ` +
        `reconnect the MCP client (remove and add the Sluice server again) and grant write access when asked, ` +
        `or connect with a personal API key.`,
    }],
    isError: true,
  };
}
