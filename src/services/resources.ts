import { newId } from "../auth/crypto.ts";
import type { Ctx } from "../deps.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import { assertResourceType } from "../resources/json_schema.ts";
import { deepMerge } from "../resources/merge.ts";
import { RESOURCES, type ResourceType } from "../resources/registry.ts";
import { restoreMasked, retargetedSecretIssues } from "../resources/secrets.ts";
import type { Queryable } from "../store/db.ts";
import {
  configObjectIdTaken,
  type ConfigObjectRow,
  findConfigObject,
  findConfigObjectWithWorkspace,
  insertConfigObject,
  isUniqueViolation,
  listConfigObjects,
  updateConfigObject,
} from "../store/resources_repo.ts";
import { listStreamKeys } from "../store/stream_keys_repo.ts";
import { describeIssues, parseInput } from "../validation.ts";
import { recordAudit } from "./audit.ts";
import {
  CreateResourceInput,
  DeleteResourceInput,
  GetResourceInput,
  ListResourcesInput,
  rejectArrayData,
  UpdateResourceInput,
} from "./resource_inputs.ts";
import {
  checkConnection,
  checkFunctionsCanRun,
  checkStreamDomains,
  validateContent,
  withoutServerFields,
} from "./resource_checks.ts";
import { deleteWithDependents } from "./resource_delete.ts";
import { forgetLiveConnections } from "./pipeline_config.ts";
import { pickFields, plainConfig, publicObject, sealConfig } from "./resource_objects.ts";
import { generateServerKey, type KeyInput, syncStreamKeys } from "./resource_stream_keys.ts";
import { checkWorkspaceAccess, resolveWorkspace } from "./workspaces.ts";

export { RESOURCE_TYPES, type ResourceType } from "../resources/registry.ts";
export {
  CreateResourceInput,
  DeleteResourceInput,
  GetResourceInput,
  ListResourcesInput,
  UpdateResourceInput,
} from "./resource_inputs.ts";

function notFound(type: string, id: string, ws: string) {
  return new NotFoundError(`${type} "${id}" not found in workspace "${ws}"`);
}

async function keysOf(db: Queryable, workspaceId: string, rows: ConfigObjectRow[]) {
  const streams = rows.filter((r) => r.type === "stream").map((r) => r.id);
  const keys = await listStreamKeys(db, workspaceId, streams);
  return (row: ConfigObjectRow) => keys.filter((k) => k.stream_id === row.id);
}

/** Lists live objects of a type, oldest first; `slim` or `fields` keep listings of functions small. */
export async function listResources(ctx: Ctx, input: unknown) {
  const q = parseInput(ListResourcesInput, input, "Cannot list resources");
  assertResourceType(q.type);
  const ws = await resolveWorkspace(ctx, q.workspaceId);
  const { rows, total } = await listConfigObjects(ctx.db, ws.id, q.type, q);
  const keys = await keysOf(ctx.db, ws.id, rows);
  // `id` is always kept: it is what every other call takes, and the MCP output schema requires it.
  const fields = q.fields ? ["id", ...q.fields] : q.slim ? RESOURCES[q.type].slimFields : null;
  const objects = rows.map((r) => {
    const o = publicObject(r, keys(r));
    return fields ? pickFields(o, fields) : o;
  });
  return { objects, total, limit: q.limit, offset: q.offset };
}

/** One object by id; secrets masked. An id from another workspace is a 404. */
export async function getResource(ctx: Ctx, input: unknown) {
  const q = parseInput(GetResourceInput, input, "Cannot get resource");
  assertResourceType(q.type);
  const found = await findConfigObjectWithWorkspace(ctx.db, {
    workspace: q.workspaceId,
    userId: ctx.principal.userId,
    type: q.type,
    id: q.id,
  });
  // Access is checked before the object is looked at: a workspace the caller cannot see is a 404 for
  // the workspace, whether or not the id exists in it.
  checkWorkspaceAccess(ctx, found?.workspace ?? null, q.workspaceId);
  const row = found?.object;
  if (!row) throw notFound(q.type, q.id, q.workspaceId);
  return publicObject(row, (await keysOf(ctx.db, row.workspace_id, [row]))(row));
}

function rejectMasked(type: ResourceType, data: Record<string, unknown>, action: string) {
  const { issues } = restoreMasked(data, {}, RESOURCES[type].secrets(data));
  if (issues.length) throw new ValidationError(`${action}: ${describeIssues(issues)}`, issues);
}

function columns(type: ResourceType, content: Record<string, unknown>) {
  return {
    subtype: type === "destination"
      ? String(content.destinationType)
      : type === "connection"
      ? String(content.type)
      : null,
    from_id: type === "connection" ? String(content.fromId) : null,
    to_id: type === "connection" ? String(content.toId) : null,
  };
}

function withoutKeys(content: Record<string, unknown>) {
  const { publicKeys: _p, privateKeys: _s, ...rest } = content;
  return rest;
}

/**
 * Creates an object. The id is minted unless the client brings an unused valid one. A stream created
 * without keys gets a server key whose plaintext `keyId:secret` is in this response only (`writeKey`).
 */
export async function createResource(ctx: Ctx, input: unknown) {
  const q = parseInput(CreateResourceInput, input, "Cannot create resource");
  assertResourceType(q.type);
  const type = q.type;
  const action = `Cannot create ${type}`;
  rejectArrayData(input, action);
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  const data = withoutServerFields(type, q.data, action);
  rejectMasked(type, data, action);
  let content = await validateContent(type, data, action);
  return await raceSafe(
    action,
    ctx.db.transaction(async function create(tx) {
      const id = content.id === undefined ? newId() : String(content.id);
      // Only this workspace's ids count: another workspace's id is as free here as an unused one.
      if (content.id !== undefined && await configObjectIdTaken(tx, ws.id, id)) {
        throw new ConflictError(`${action}: id "${id}" is already used`, {
          issues: [{ path: "id", message: "already used" }],
        });
      }
      delete content.id;
      if (type === "connection") checkFunctionsCanRun(ctx.sandbox.options.backend, content, action);
      if (type === "connection") content = await checkConnection(tx, ws.id, content, null, action);
      if (type === "stream") await checkStreamDomains(tx, content, null, action);
      delete content.id;
      const stored = withoutKeys(content);
      const sealed = await sealConfig(ctx, type, id, stored);
      const now = ctx.clock.now();
      const row = await insertConfigObject(tx, {
        id,
        workspace_id: ws.id,
        type,
        name: String(stored.name),
        ...columns(type, stored),
        ...sealed,
        created_at: now,
        updated_at: now,
      });
      let writeKey: string | undefined;
      let keys = type === "stream"
        ? await syncStreamKeys(
          ctx,
          tx,
          { workspaceId: ws.id, id },
          content as { publicKeys?: KeyInput[] },
          action,
        )
        : [];
      if (type === "stream" && keys.length === 0) {
        writeKey = await generateServerKey(ctx, tx, { workspaceId: ws.id, id });
        keys = await listStreamKeys(tx, ws.id, [id]);
      }
      const out = publicObject(row, keys);
      await recordAudit(ctx, tx, {
        workspaceId: ws.id,
        action: "create",
        objectType: type,
        objectId: id,
        before: null,
        after: out,
      });
      return writeKey ? { ...out, writeKey } : out;
    }),
  ).finally(() => forgetLiveConnections(ctx));
}

/**
 * The checks before a write (id free, pair not yet connected, key id free) can race with a concurrent
 * write; the unique indexes then decide, and the loser gets the same 409 it would have got a moment later.
 */
async function raceSafe<T>(action: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    throw new ConflictError(
      `${action}: a concurrent change took the same id, key id or connection pair; read and retry`,
    );
  }
}

function checkVersion(row: ConfigObjectRow, expected: string | undefined, action: string) {
  if (expected === undefined) return;
  const t = Date.parse(expected);
  if (Number.isNaN(t)) {
    throw new ValidationError(`${action}: expectedUpdatedAt: must be an ISO 8601 timestamp`, [
      { path: "expectedUpdatedAt", message: "must be an ISO 8601 timestamp" },
    ]);
  }
  if (t !== row.updated_at.getTime()) {
    throw new ConflictError(
      `${action}: it was changed at ${row.updated_at.toISOString()}, after the version you read ` +
        `(${expected}); get it again, reapply your change and retry`,
      {
        issues: [{ path: "expectedUpdatedAt", message: `stale; current is ${row.updated_at.toISOString()}` }],
      },
    );
  }
}

/**
 * Applies `data` as a merge patch (objects merge, arrays and values replace, null removes), then
 * validates the whole result again. A masked secret sent back keeps the stored one. With
 * `expectedUpdatedAt`, a write over a newer version is a 409.
 */
export async function updateResource(ctx: Ctx, input: unknown) {
  const q = parseInput(UpdateResourceInput, input, "Cannot update resource");
  assertResourceType(q.type);
  const type = q.type;
  const action = `Cannot update ${type} "${q.id}"`;
  rejectArrayData(input, action);
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  return await raceSafe(
    action,
    ctx.db.transaction(async function update(tx) {
      const row = await findConfigObject(tx, ws.id, type, q.id, { lock: true });
      if (!row) throw notFound(type, q.id, q.workspaceId);
      checkVersion(row, q.expectedUpdatedAt, action);
      const stored = await plainConfig(ctx, row);
      const patch = withoutServerFields(type, q.data, action, row.id);
      // A new destination type brings its own fields: start from the patch, not the old credentials.
      const base = type === "destination" && patch.destinationType !== undefined &&
          patch.destinationType !== stored.destinationType
        ? { name: stored.name }
        : stored;
      const restored = restoreMasked(patch, stored, RESOURCES[type].secrets(deepMerge(base, patch)));
      if (restored.issues.length) {
        throw new ValidationError(`${action}: ${describeIssues(restored.issues)}`, restored.issues);
      }
      const merged = deepMerge(base, restored.value);
      const moved = retargetedSecretIssues(restored.kept, merged, stored);
      if (moved.length) throw new ValidationError(`${action}: ${describeIssues(moved)}`, moved);
      let content = await validateContent(type, merged, action);
      if (type === "connection") checkFunctionsCanRun(ctx.sandbox.options.backend, content, action);
      if (type === "connection") content = await checkConnection(tx, ws.id, content, row.id, action);
      if (type === "stream") {
        await checkStreamDomains(tx, content, { workspaceId: ws.id, id: row.id }, action);
      }
      delete content.id;
      const oldKeys = type === "stream" ? await listStreamKeys(tx, ws.id, [row.id]) : [];
      const before = publicObject(row, oldKeys);
      const next = withoutKeys(content);
      // Strictly increasing, so two writes in one millisecond still give two versions.
      const now = new Date(Math.max(ctx.clock.now().getTime(), row.updated_at.getTime() + 1));
      const updated = await updateConfigObject(tx, {
        id: row.id,
        workspace_id: ws.id,
        type,
        name: String(next.name),
        ...columns(type, next),
        ...await sealConfig(ctx, type, row.id, next),
        created_at: row.created_at,
        updated_at: now,
      });
      const keys = type === "stream"
        ? await syncStreamKeys(
          ctx,
          tx,
          { workspaceId: ws.id, id: row.id },
          patch as { publicKeys?: KeyInput[] },
          action,
        )
        : [];
      const after = publicObject(updated, keys);
      await recordAudit(ctx, tx, {
        workspaceId: ws.id,
        action: "update",
        objectType: type,
        objectId: row.id,
        before,
        after,
      });
      return after;
    }),
  ).finally(() => forgetLiveConnections(ctx));
}

/**
 * Soft-deletes an object. Objects that connections use (streams, services, destinations, functions
 * in a chain) are refused with a 409 that lists those connections, unless `cascade` deletes them too.
 */
export async function deleteResource(ctx: Ctx, input: unknown) {
  const q = parseInput(DeleteResourceInput, input, "Cannot delete resource");
  assertResourceType(q.type);
  const type = q.type;
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  return await ctx.db.transaction(async function remove(tx) {
    const row = await findConfigObject(tx, ws.id, type, q.id, { lock: true });
    if (!row) throw notFound(type, q.id, q.workspaceId);
    const keys = type === "stream" ? await listStreamKeys(tx, ws.id, [row.id]) : [];
    return await deleteWithDependents(ctx, tx, publicObject(row, keys), row, { cascade: q.cascade ?? false });
  }).finally(() => forgetLiveConnections(ctx));
}
