import * as v from "valibot";
import { RESOURCE_TYPES } from "../../resources/registry.ts";

/**
 * Argument schemas the resource tools publish (Jitsu's MCP argument names). They are the published
 * contract only: the resources service validates the same fields itself, so MCP and REST report the
 * same message for the same input.
 */
export const WorkspaceArg = v.pipe(
  v.string(),
  v.minLength(1),
  v.description("Workspace id or slug (from list_workspaces)."),
);

export const TypeArg = v.pipe(
  v.picklist(RESOURCE_TYPES),
  v.description(
    "Resource type: stream (receives events; has write keys), destination (where events go), function " +
      "(JavaScript that transforms events), connection (stream -> destination, with functions), service " +
      "(a connector source for syncs).",
  ),
);

export const IdArg = v.pipe(v.string(), v.minLength(1), v.description("The resource's id."));

export const DataArg = v.record(v.string(), v.unknown());

/** Any object with an id: what the resources service returns for one object. */
export const ResourceObject = v.looseObject({ id: v.string() });

/** An object whose shape the service decides. */
export const AnyObject = v.looseObject({});
