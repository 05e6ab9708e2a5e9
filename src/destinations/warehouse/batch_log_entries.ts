import type { EventLogEntry } from "../../events_log/events_log.ts";
import type { WriteBatch } from "../driver.ts";
import type { BulkerBatchEntry } from "./types.ts";

/**
 * Live Events entries for a batch's `bulker_batch` statuses: on the connection (Jitsu's actor for
 * bulker logs), level `error` for a failed batch so `levels=error` finds it. Feed them to
 * appendEvents(): `warehouseDriver(kind, {onBatch: (e, b) => appendEvents(db, batchLogEntries(e, b))})`,
 * as pipeline/drivers.ts does.
 */
export function batchLogEntries(
  entries: BulkerBatchEntry[],
  batch: Pick<WriteBatch, "destination" | "connection">,
): EventLogEntry[] {
  return entries.map((message) => ({
    workspaceId: batch.destination.workspaceId,
    actorId: batch.connection.id,
    type: "bulker_batch",
    level: message.status === "FAILED" ? "error" : "info",
    message,
  }));
}
