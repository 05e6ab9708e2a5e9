/**
 * Live Events: the log of what happened to each event at each step (ingest, functions, destination
 * writes, dead letter). The pipeline appends inside its own transactions; REST and MCP read it through
 * src/events_log/read_events.ts. Entry shapes per type follow Jitsu's (docs/pipeline.md lists them).
 */
import { ValidationError } from "../errors.ts";
import type { Queryable } from "../store/db.ts";
import {
  type EventLogInsert,
  type EventLogRow,
  insertEventLogEntries,
  selectEventLogEntries,
} from "../store/events_log_repo.ts";
import { commitChunk } from "../store/queue_commit_repo.ts";
import { deleteQueueRows } from "../store/queue_repo.ts";
import { incomingAsJitsu } from "../store/ingest_repo.ts";
import { addConnectionStats, addStreamStats } from "../store/event_stat_repo.ts";
import { type StatCount, statDeltas } from "./event_stat_counts.ts";

/** The Live Events types, named as in Jitsu. */
export const EVENT_LOG_TYPES = [
  "incoming",
  "function",
  "bulker_stream",
  "bulker_batch",
  "dead-letter",
  "sync",
] as const;
export type EventLogType = typeof EVENT_LOG_TYPES[number];

export const EVENT_LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type EventLogLevel = typeof EVENT_LOG_LEVELS[number];

/** One entry to append. `actorId` is the stream (incoming) or the connection (the other types). */
export interface EventLogEntry {
  workspaceId: string;
  actorId: string;
  type: EventLogType;
  level: EventLogLevel;
  /** Defaults to now. */
  timestamp?: Date;
  /** Any JSON value; stored as sent. */
  message: unknown;
}

/** One entry as read back. */
export interface EventLogRecord {
  id: string;
  actorId: string;
  type: EventLogType;
  level: EventLogLevel;
  timestamp: Date;
  message: unknown;
}

/** As {@linkcode EventLogRecord} but with the message still as its stored JSON text. */
export interface RawEventLogRecord extends Omit<EventLogRecord, "message"> {
  messageJson: string;
}

export interface EventLogQuery {
  workspaceId: string;
  /** One source, or several; absent means every source of the workspace. */
  actorId?: string | readonly string[] | null;
  type: EventLogType;
  levels?: readonly EventLogLevel[] | null;
  /** Inclusive. */
  start?: Date | null;
  /** Exclusive. */
  end?: Date | null;
  /** Case-insensitive substring of the message JSON. */
  search?: string | null;
  /** 1..1000, default 50. */
  limit?: number;
  /** `nextCursor` of a previous page: continue with older entries. */
  cursor?: string | null;
}

export const DEFAULT_EVENTS_LIMIT = 50;
export const MAX_EVENTS_LIMIT = 1000;

/**
 * Appends entries and counts them in the statistics rollup, in one statement when it can (see
 * {@linkcode appendEventsInOneStatement}), else in three. Call it with the pipeline's transaction as `db`
 * to make the entries and counts part of that step's commit; `deleteQueueIds` are queue rows deleted with
 * them (a processed chunk, only while still leased with `leases`), `counts` events counted without an entry
 * (a batch-mode connection's delivered events).
 */
export async function appendEvents(
  db: Queryable,
  entries: readonly EventLogEntry[],
  { deleteQueueIds = [], counts = [], leases = null }: {
    deleteQueueIds?: readonly string[];
    counts?: readonly StatCount[];
    /** The lease tokens of the rows to delete (leasesOf in store/queue_repo.ts); null: no check. */
    leases?: string | null;
  } = {},
): Promise<void> {
  if (entries.length === 0 && deleteQueueIds.length === 0 && counts.length === 0) return;
  if (await appendEventsInOneStatement(db, entries, deleteQueueIds, [], counts, leases)) return;
  await deleteQueueRows(db, deleteQueueIds, leases);
  const now = new Date();
  await insertEventLogEntries(db, toInserts(entries, now));
  const stats = statDeltas(entries, now, counts);
  await addConnectionStats(db, stats.connections);
  await addStreamStats(db, stats.streams);
}

/**
 * Deletes the queue rows `deleteQueueIds`, parks the rows `park` for their batch-mode connection's batch,
 * appends the entries and adds their counts (and `counts`) to the statistics rollup
 * (src/events_log/event_stat_counts.ts) in one statement, atomic by itself: the pipeline's usual commit of a chunk (src/store/queue_commit_repo.ts). Returns false, having written nothing, when an entry
 * cannot travel that way (a value holding the column separator): the caller then uses
 * {@linkcode appendEvents} in a transaction.
 */
export async function appendEventsInOneStatement(
  db: Queryable,
  entries: readonly EventLogEntry[],
  deleteQueueIds: readonly string[],
  park: readonly { id: string; connectionId: string }[] = [],
  counts: readonly StatCount[] = [],
  leases: string | null = null,
): Promise<boolean> {
  const now = new Date();
  const stats = statDeltas(entries, now, counts);
  return await commitChunk(db, {
    deleteIds: deleteQueueIds,
    park,
    leases,
    entries: toInserts(entries, now),
    connectionStats: stats.connections,
    streamStats: stats.streams,
  });
}

function toInserts(entries: readonly EventLogEntry[], now: Date): EventLogInsert[] {
  return entries.map((e) => ({
    workspaceId: e.workspaceId,
    actorId: e.actorId,
    type: e.type,
    level: e.level,
    timestamp: e.timestamp ?? now,
    messageJson: JSON.stringify(e.message ?? null),
  }));
}

/** Reads entries newest first, with the cursor of the next (older) page or null at the end. */
export async function queryEvents(
  db: Queryable,
  q: EventLogQuery,
): Promise<{ events: EventLogRecord[]; nextCursor: string | null }> {
  const page = await queryEventsRaw(db, q);
  return {
    events: page.events.map(({ messageJson, ...e }) => ({ ...e, message: JSON.parse(messageJson) })),
    nextCursor: page.nextCursor,
  };
}

/**
 * Like {@linkcode queryEvents} but leaves each message as its stored JSON text, for callers that
 * write it straight into a response (GOTCHAS: parse-then-stringify tripled a "last 50 events" read).
 */
export async function queryEventsRaw(
  db: Queryable,
  q: EventLogQuery,
): Promise<{ events: RawEventLogRecord[]; nextCursor: string | null }> {
  const limit = q.limit ?? DEFAULT_EVENTS_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS_LIMIT) {
    throw new ValidationError(
      `Cannot query events: limit: must be an integer from 1 to ${MAX_EVENTS_LIMIT}`,
      [
        { path: "limit", message: `must be an integer from 1 to ${MAX_EVENTS_LIMIT}` },
      ],
    );
  }
  const rows = await selectEventLogEntries(db, {
    workspaceId: q.workspaceId,
    type: q.type,
    actorIds: q.actorId === undefined || q.actorId === null
      ? null
      : typeof q.actorId === "string"
      ? [q.actorId]
      : [...q.actorId],
    levels: q.levels?.length ? [...q.levels] : null,
    start: q.start ?? null,
    end: q.end ?? null,
    search: q.search ? searchTexts(q.type, q.search).map(escapeLike) : null,
    // One more than asked tells whether an older page exists without a count.
    limit: limit + 1,
    before: q.cursor ? decodeCursor(q.cursor) : null,
  });
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return {
    events: page.map(toRecord),
    nextCursor: more ? encodeCursor(page[page.length - 1]) : null,
  };
}

function toRecord(r: EventLogRow): RawEventLogRecord {
  return {
    id: r.id,
    actorId: r.actor_id,
    type: r.type as EventLogType,
    level: r.level as EventLogLevel,
    timestamp: r.timestamp,
    messageJson: r.type === "incoming" ? incomingAsJitsu(r.message_json) : r.message_json,
  };
}

/**
 * What `search` looks for. Readers see an `incoming` entry's body as a JSON string, so what they copy from
 * it is escaped once more (`\"event\":\"x\"`); ingest stores the body unescaped (store/ingest_repo.ts),
 * and entries from before migration 9 escaped. Both forms are searched.
 */
function searchTexts(type: string, search: string): string[] {
  if (type !== "incoming" || !search.includes("\\")) return [search];
  try {
    const unescaped = JSON.parse(`"${search}"`);
    return typeof unescaped === "string" && unescaped !== search ? [search, unescaped] : [search];
  } catch {
    return [search]; // not a JSON string's content (a bare quote, a lone backslash): as typed only
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The cursor is opaque to callers: base64url of `<microseconds>.<id>` of the last entry returned. */
function encodeCursor(r: EventLogRow): string {
  return btoa(`${r.ts_us}.${r.id}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): { tsUs: string; id: string } {
  let text = "";
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    // reported below
  }
  const m = /^(-?\d{1,19})\.(\d{1,19})$/.exec(text);
  if (!m) {
    throw new ValidationError(
      "Cannot query events: cursor: is not a cursor this server returned; pass nextCursor from the previous page",
      [{ path: "cursor", message: "is not a cursor this server returned" }],
    );
  }
  return { tsUs: m[1], id: m[2] };
}
