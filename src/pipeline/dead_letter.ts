/**
 * The dead letter: deliveries that failed their last retry (or could not be retried). Listing uses
 * Jitsu's shape (`{date, workspaceId, actorId, type, payload, error}`); replay moves rows back
 * to the queue for their connection, with a fresh retry budget.
 */
import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { notifyQueue } from "../ingest/enqueue.ts";
import { resolveWorkspace } from "../services/workspaces.ts";
import { insertQueueRows } from "../store/queue_repo.ts";
import { listDeadLetters, takeDeadLetters } from "../store/dead_letter_repo.ts";
import { LimitSchema, parseInput } from "../validation.ts";
import type { QueuePayload } from "./queue_payload.ts";

const Id = v.pipe(
  v.string("must be a string"),
  v.minLength(1, "must not be empty"),
  v.maxLength(200, "too long"),
);

export const ListDeadLetterInput = v.object({
  workspaceId: Id,
  connectionId: v.optional(v.nullable(Id)),
  limit: LimitSchema,
});

export const ReplayDeadLetterInput = v.object({
  workspaceId: Id,
  connectionId: v.optional(v.nullable(Id)),
  ids: v.optional(
    v.pipe(
      v.array(v.pipe(Id, v.regex(/^\d{1,15}$/, "must be a dead-letter id")), "must be an array of ids"),
      v.maxLength(10_000, "at most 10000 ids"),
    ),
  ),
  limit: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1, "at least 1"),
      v.maxValue(100_000, "at most 100000"),
    ),
    10_000,
  ),
});

/** Dead letters of a workspace, newest first. */
export async function listDeadLetter(ctx: Ctx, input: unknown) {
  const q = parseInput(ListDeadLetterInput, input, "Cannot list dead letters");
  const ws = await resolveWorkspace(ctx, q.workspaceId);
  const rows = await listDeadLetters(ctx.db, ws.id, { connectionId: q.connectionId, limit: q.limit });
  return rows.map((r) => {
    const p = JSON.parse(r.payloadJson) as QueuePayload;
    return {
      id: r.id,
      date: r.createdAt.toISOString(),
      workspaceId: r.workspaceId,
      actorId: r.connectionId,
      type: "bulker_stream",
      messageId: p.messageId,
      payload: p.event,
      error: r.error,
      attempts: r.attempts,
    };
  });
}

/** Puts dead letters (all, one connection's, or the given ids) back in the queue. */
export async function replayDeadLetter(ctx: Ctx, input: unknown): Promise<{ replayed: number }> {
  const q = parseInput(ReplayDeadLetterInput, input, "Cannot replay dead letters");
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  const now = ctx.clock.now();
  const replayed = await ctx.db.transaction(async function replay(tx) {
    const rows = await takeDeadLetters(tx, ws.id, {
      connectionId: q.connectionId,
      ids: q.ids,
      limit: q.limit,
    });
    await insertQueueRows(
      tx,
      rows.map((r) => ({
        workspaceId: r.workspaceId,
        streamId: r.streamId,
        connectionId: r.connectionId,
        payloadJson: r.payloadJson,
        attempts: 0,
        availableAt: now,
        lastError: r.error,
      })),
    );
    return rows.length;
  });
  if (replayed > 0) await notifyQueue(ctx);
  return { replayed };
}
