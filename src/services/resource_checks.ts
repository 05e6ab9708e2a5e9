import * as v from "valibot";
import type { FieldIssue } from "../errors.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import { connectionSchemaFor, SyncConnectionInput } from "../resources/connection.ts";
import { syncDataIssues } from "../resources/sync_options.ts";
import { destinationType } from "../resources/destinations/catalog.ts";
import { checkFunctionSyntax } from "../resources/function_syntax.ts";
import { isSyncDestinationType, SYNC_DESTINATION_TYPES } from "../sync/destination_types.ts";
import { ResourceInputSchemas, type ResourceType } from "../resources/registry.ts";
import { type FunctionsBackend, NO_WORKERS_MESSAGE } from "../runtime/profile.ts";
import type { Queryable } from "../store/db.ts";
import { findConfigObjects, findPushConnection, streamsWithDomains } from "../store/resources_repo.ts";
import { describeIssues, parseInput } from "../validation.ts";

function fail(action: string, issues: FieldIssue[]): never {
  throw new ValidationError(`${action}: ${describeIssues(issues)}`, issues);
}

// Fields the server owns: Jitsu clients send objects back as they read them, so these are dropped
// rather than reported as unknown. A stream's `writeKey` is the server's; a destination's (Segment's
// write key) is the user's.
const SERVER_FIELDS = ["workspaceId", "createdAt", "updatedAt", "deliverable", "deleted", "writeKey"];

/**
 * Drops server-owned fields from a client's object. `type` is the resource type for every type but
 * connection (where it is push/sync): it may be sent back, but not changed. On update the id may be
 * sent back, but not changed either.
 */
export function withoutServerFields(
  type: ResourceType,
  data: Record<string, unknown>,
  action: string,
  id?: string,
): Record<string, unknown> {
  const out = { ...data };
  const issues: FieldIssue[] = [];
  for (const f of SERVER_FIELDS) if (!(f === "writeKey" && type === "destination")) delete out[f];
  if (type !== "connection" && "type" in out) {
    if (out.type !== type) issues.push({ path: "type", message: `must be "${type}" or left out` });
    delete out.type;
  }
  if (id !== undefined && "id" in out) {
    if (out.id !== id) issues.push({ path: "id", message: "an object's id cannot change" });
    delete out.id;
  }
  if (issues.length) fail(action, issues);
  return out;
}

/**
 * Validates an object's content with its type's schema, then what a schema cannot say: a function
 * must compile, a stream's domains are stored lowercased.
 */
export async function validateContent(
  type: ResourceType,
  data: Record<string, unknown>,
  action: string,
): Promise<Record<string, unknown>> {
  const content = parseInput(ResourceInputSchemas[type] as v.GenericSchema, data, action) as Record<
    string,
    unknown
  >;
  if (type === "function") {
    const problem = await checkFunctionSyntax(String(content.code));
    if (problem) {
      fail(action, [{
        path: "code",
        message: `syntax error at line ${problem.line}, column ${problem.column}: ${problem.message}`,
      }]);
    }
  }
  if (type === "stream" && Array.isArray(content.domains)) {
    content.domains = [...new Set((content.domains as string[]).map((d) => d.toLowerCase()))];
  }
  return content;
}

/** The function id in a chain entry: Jitsu writes user functions as `udf.<id>`. */
export function chainFunctionId(functionId: string): string {
  return functionId.startsWith("udf.") ? functionId.slice(4) : functionId;
}

/**
 * Checks a connection against the workspace: `fromId` is a stream (push) or service (sync), `toId` a
 * destination, every function exists; then validates `data` with the destination type's own options
 * (applying its defaults), and refuses a second live push connection for the same pair.
 */
export async function checkConnection(
  tx: Queryable,
  workspaceId: string,
  content: Record<string, unknown>,
  selfId: string | null,
  action: string,
): Promise<Record<string, unknown>> {
  const fromId = String(content.fromId);
  const toId = String(content.toId);
  const kind = content.type === "sync" ? "sync" : "push";
  const data = (content.data ?? {}) as Record<string, unknown>;
  const chain = (data.functions ?? []) as { functionId: string }[];
  const refs = await findConfigObjects(tx, workspaceId, [
    fromId,
    toId,
    ...chain.map((f) => chainFunctionId(f.functionId)),
  ]);
  const byId = new Map(refs.map((r) => [r.id, r]));
  const issues: FieldIssue[] = [];
  const fromType = kind === "push" ? "stream" : "service";
  const from = byId.get(fromId);
  if (from?.type !== fromType) {
    issues.push({
      path: "fromId",
      message: `no ${fromType} "${fromId}" in this workspace (a ${kind} connection starts at a ${fromType})`,
    });
  }
  const to = byId.get(toId);
  if (to?.type !== "destination") {
    issues.push({ path: "toId", message: `no destination "${toId}" in this workspace` });
  }
  chain.forEach((f, i) => {
    if (byId.get(chainFunctionId(f.functionId))?.type !== "function") {
      issues.push({
        path: `data.functions.${i}.functionId`,
        message: `no function "${f.functionId}" in this workspace`,
      });
    }
  });
  if (kind === "sync" && to?.type === "destination" && !isSyncDestinationType(to.subtype)) {
    issues.push({
      path: "toId",
      message: `a sync writes to a ${SYNC_DESTINATION_TYPES.join(", ")} destination, not ${to.subtype}`,
    });
  }
  if (issues.length) fail(action, issues);
  const d = destinationType(String(to!.subtype));
  const checked = kind === "sync"
    ? parseInput(SyncConnectionInput, { ...content, data }, action) as Record<string, unknown>
    : d
    ? parseInput(connectionSchemaFor(d), { ...content, data }, action) as Record<string, unknown>
    : { ...content, data };
  if (kind === "sync") {
    const bad = syncDataIssues((checked.data ?? {}) as Record<string, unknown>);
    if (bad.length) fail(action, bad);
  }
  if (kind === "push") {
    const dup = await findPushConnection(tx, workspaceId, fromId, toId, selfId);
    if (dup) {
      throw new ConflictError(
        `${action}: a push connection from "${fromId}" to "${toId}" already exists: "${dup.id}"`,
        {
          issues: [{ path: "toId", message: `already connected by "${dup.id}"` }],
        },
      );
    }
  }
  checked.name ??= `${from!.name} -> ${to!.name}`;
  return checked;
}

/**
 * A domain routes browser events to one stream, so two live streams may not claim it: another
 * workspace claiming yours would receive your visitors' events (Jitsu refuses this too).
 */
export async function checkStreamDomains(
  tx: Queryable,
  content: Record<string, unknown>,
  self: { workspaceId: string; id: string } | null,
  action: string,
): Promise<void> {
  const domains = (content.domains ?? []) as string[];
  const taken = await streamsWithDomains(tx, domains, self);
  if (taken.length === 0) return;
  const issues = domains.flatMap((d, i) =>
    taken.some((s) => s.domains.includes(d))
      ? [{ path: `domains.${i}`, message: `"${d}" is already used by another stream` }]
      : []
  );
  throw new ConflictError(`${action}: ${describeIssues(issues)}`, { issues });
}

/**
 * Refuses a connection with functions where the runtime has nowhere to run them (Deno Deploy without
 * Workers, src/runtime/profile.ts): saved, it would only fail every event.
 */
export function checkFunctionsCanRun(
  backend: FunctionsBackend,
  content: Record<string, unknown>,
  action: string,
): void {
  const chain = ((content.data ?? {}) as Record<string, unknown>).functions;
  if (backend !== "none" || !Array.isArray(chain) || chain.length === 0) return;
  fail(action, [{ path: "data.functions", message: NO_WORKERS_MESSAGE }]);
}
