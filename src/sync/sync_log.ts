/** A run's Live Events (type `sync`, actor = the connection): the connector's LOG lines and Sluice's own. */
import { appendEvents, type EventLogEntry, type EventLogLevel } from "../events_log/events_log.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../store/db.ts";
import { logLevel } from "./protocol.ts";

export class SyncLog {
  #entries: EventLogEntry[] = [];

  constructor(
    readonly db: Queryable,
    readonly workspaceId: string,
    readonly connectionId: string,
    readonly taskId: string,
    readonly clock: Clock,
  ) {}

  get pending(): number {
    return this.#entries.length;
  }

  add(level: EventLogLevel, message: string, extra: Record<string, unknown> = {}): void {
    this.#entries.push({
      workspaceId: this.workspaceId,
      actorId: this.connectionId,
      type: "sync",
      level,
      timestamp: this.clock.now(),
      message: { taskId: this.taskId, source: "sluice", text: message, ...extra },
    });
  }

  /** A connector LOG message, with its own level mapped to ours. */
  connectorLog(level: string, message: string): void {
    this.#entries.push({
      workspaceId: this.workspaceId,
      actorId: this.connectionId,
      type: "sync",
      level: logLevel(level),
      timestamp: this.clock.now(),
      message: { taskId: this.taskId, source: "connector", level, text: message },
    });
  }

  async flush(): Promise<void> {
    const entries = this.#entries;
    this.#entries = [];
    await appendEvents(this.db, entries);
  }
}
