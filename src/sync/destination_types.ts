/** Destination types a sync connection may write to (checked when a sync is created and when it runs). */
export const SYNC_DESTINATION_TYPES = ["postgres", "mysql", "clickhouse"] as const;

export type SyncDestinationType = typeof SYNC_DESTINATION_TYPES[number];

/** Whether a destination type can receive syncs. */
export function isSyncDestinationType(type: unknown): type is SyncDestinationType {
  return (SYNC_DESTINATION_TYPES as readonly unknown[]).includes(type);
}
