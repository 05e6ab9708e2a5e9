import type { Ctx } from "../deps.ts";
import { ConflictError } from "../errors.ts";
import type { Queryable } from "../store/db.ts";
import {
  type ConfigObjectRow,
  connectionsTouching,
  connectionsUsingFunction,
  softDeleteConfigObjects,
} from "../store/resources_repo.ts";
import { recordAudit } from "./audit.ts";
import { publicObject } from "./resource_objects.ts";

async function dependents(tx: Queryable, row: ConfigObjectRow): Promise<ConfigObjectRow[]> {
  if (row.type === "connection") return [];
  if (row.type === "function") return await connectionsUsingFunction(tx, row.workspace_id, row.id);
  return await connectionsTouching(tx, row.workspace_id, row.id);
}

/**
 * Deletes `row` (soft) and, with `cascade`, the connections that use it; without it, any such
 * connection is a 409 naming them (Jitsu's `strict`; Sluice never leaves a connection dangling).
 */
export async function deleteWithDependents(
  ctx: Ctx,
  tx: Queryable,
  before: Record<string, unknown>,
  row: ConfigObjectRow,
  { cascade }: { cascade: boolean },
): Promise<Record<string, unknown>> {
  const deps = await dependents(tx, row);
  if (deps.length && !cascade) {
    const list = deps.map((c) => `"${c.id}" (${c.from_id} -> ${c.to_id})`).join(", ");
    throw new ConflictError(
      `Cannot delete ${row.type} "${row.id}": ${deps.length} connection(s) use it: ${list}; delete them ` +
        "first or pass cascade=true to delete them too",
      { issues: deps.map((c) => ({ path: "connections", message: `${c.id}: ${c.from_id} -> ${c.to_id}` })) },
    );
  }
  const now = ctx.clock.now();
  for (const c of deps) {
    await softDeleteConfigObjects(tx, row.workspace_id, [c.id], now);
    await recordAudit(ctx, tx, {
      workspaceId: row.workspace_id,
      action: "delete",
      objectType: "connection",
      objectId: c.id,
      before: publicObject(c),
      after: null,
    });
  }
  await softDeleteConfigObjects(tx, row.workspace_id, [row.id], now);
  await recordAudit(ctx, tx, {
    workspaceId: row.workspace_id,
    action: "delete",
    objectType: row.type,
    objectId: row.id,
    before,
    after: null,
  });
  return { ...before, deleted: true, deletedConnections: deps.map((c) => c.id) };
}
