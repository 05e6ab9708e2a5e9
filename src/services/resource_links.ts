import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { ValidationError } from "../errors.ts";
import { findConfigObject, findPushConnection } from "../store/resources_repo.ts";
import { parseInput } from "../validation.ts";
import { createResource, deleteResource, listResources, updateResource } from "./resources.ts";
import { resolveWorkspace } from "./workspaces.ts";

/**
 * Jitsu's links API (`/api/{ws}/config/link`) over the connection services, so Jitsu's console code
 * and scripts keep working: the same objects as `/config/connection`, in Jitsu's envelopes.
 */

const Ws = v.pipe(v.string("must be a string"), v.minLength(1, "required"));

/** `GET .../config/link` -> `{links: [...]}` (every live connection, oldest first). */
export async function listLinks(ctx: Ctx, input: { workspaceId: string }) {
  const { objects } = await listResources(ctx, {
    workspaceId: input.workspaceId,
    type: "connection",
    limit: 1000,
  });
  return { links: objects };
}

/**
 * `POST|PUT .../config/link`: with the id of an existing connection, updates it; otherwise creates one
 * (a second push link for the same pair is a 409, as in Jitsu). Returns the object and `created`.
 */
export async function upsertLink(ctx: Ctx, input: { workspaceId: string; body: unknown }) {
  const body = input.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError("Cannot save link: the body must be an object", [
      { path: "", message: "must be an object" },
    ]);
  }
  const b = body as Record<string, unknown>;
  if (typeof b.id === "string" && b.id) {
    const ws = await resolveWorkspace(ctx, input.workspaceId);
    if (await findConfigObject(ctx.db, ws.id, "connection", b.id)) {
      const { id, ...patch } = b;
      const updated = await updateResource(ctx, { workspaceId: ws.id, type: "connection", id, data: patch });
      return { ...updated, created: false };
    }
  }
  const created = await createResource(ctx, { workspaceId: input.workspaceId, type: "connection", data: b });
  return { ...created, created: true };
}

const DeleteLinkInput = v.object({
  workspaceId: Ws,
  id: v.optional(v.string()),
  fromId: v.optional(v.string()),
  toId: v.optional(v.string()),
});

/** `DELETE .../config/link?id=` or `?fromId=&toId=` -> `{deleted: boolean}` (false: no such link). */
export async function deleteLink(ctx: Ctx, input: unknown) {
  const q = parseInput(DeleteLinkInput, input, "Cannot delete link");
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  let id = q.id;
  if (!id) {
    if (!q.fromId || !q.toId) {
      throw new ValidationError("Cannot delete link: give id, or fromId and toId", [
        { path: "id", message: "required unless fromId and toId are given" },
      ]);
    }
    id = (await findPushConnection(ctx.db, ws.id, q.fromId, q.toId, null))?.id;
    if (!id) return { deleted: false };
  }
  try {
    await deleteResource(ctx, { workspaceId: ws.id, type: "connection", id });
    return { deleted: true, id };
  } catch (e) {
    if ((e as { status?: number }).status === 404) return { deleted: false, id };
    throw e;
  }
}
