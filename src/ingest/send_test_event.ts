/**
 * `send_test_event`: injects an event into a stream as if a server had sent it, without a write key,
 * so an agent can check a connection end to end. The event is normalised, queued and logged exactly
 * like an ingested one (its `incoming` entry is marked `test: true` in the request headers it shows).
 */
import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { AppError, ValidationError } from "../errors.ts";
import { getResource } from "../services/resources.ts";
import { resolveWorkspace } from "../services/workspaces.ts";
import { parseInput } from "../validation.ts";
import { queueIsFull } from "./enqueue.ts";
import { ingestEvents } from "./ingest.ts";
import { EVENT_TYPES } from "./normalize.ts";

export const SendTestEventInput = v.object({
  workspaceId: v.pipe(v.string("must be a string"), v.minLength(1, "required")),
  streamId: v.pipe(
    v.string("must be a string"),
    v.minLength(1, "required"),
    v.description("The stream to inject into."),
  ),
  event: v.pipe(
    v.record(v.string(), v.unknown(), "must be an object"),
    v.description(
      `The event, e.g. {"type": "track", "event": "Signed Up", "userId": "u1", "properties": {...}}. type is one of ${
        EVENT_TYPES.join(", ")
      } (default track); messageId, timestamp and receivedAt are filled in.`,
    ),
  ),
});

/** Queues one event for a stream's connections; returns its messageId and where it goes. */
export async function sendTestEvent(ctx: Ctx, input: unknown) {
  const q = parseInput(SendTestEventInput, input, "Cannot send test event");
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  await getResource(ctx, { workspaceId: ws.id, type: "stream", id: q.streamId }); // 404 for a wrong id
  if (await queueIsFull(ctx)) {
    throw new AppError(
      "queue_full",
      "Cannot send test event: the event queue is full, try again in a few seconds",
      {
        status: 503,
        expose: true,
      },
    );
  }
  const event = { type: "track", ...q.event };
  const { results, connectionIds } = await ingestEvents(ctx, {
    workspaceId: ws.id,
    streamId: q.streamId,
    events: [event],
    pathType: null,
    facts: { ingestType: "s2s", ip: null, userAgent: null, acceptLanguage: null, now: ctx.clock.now() },
    headers: { "x-sluice-test-event": "true", "x-sluice-sent-by": ctx.principal.email },
    writeKeyMasked: null,
  });
  const r = results[0];
  if (!r.ok) {
    throw new ValidationError(`Cannot send test event: ${r.error}`, [{ path: "event", message: r.error! }]);
  }
  return {
    messageId: r.messageId!,
    queued: connectionIds.length > 0,
    connectionIds,
    ...(r.error ? { note: r.error } : {}),
  };
}
