import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { resolveWorkspace } from "../services/workspaces.ts";
import { actorIdsFor } from "./event_sources.ts";
import { parseInput } from "../validation.ts";
import {
  DEFAULT_EVENTS_LIMIT,
  EVENT_LOG_LEVELS,
  EVENT_LOG_TYPES,
  type EventLogLevel,
  MAX_EVENTS_LIMIT,
  queryEventsRaw,
  type RawEventLogRecord,
} from "./events_log.ts";

const LEVEL_LIST = new RegExp(
  `^\\s*(${EVENT_LOG_LEVELS.join("|")})(\\s*,\\s*(${EVENT_LOG_LEVELS.join("|")}))*\\s*$`,
);

const IsoDate = v.pipe(
  v.string("must be a string"),
  v.regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/, ISO_MESSAGE()),
  v.check((s) => !Number.isNaN(Date.parse(s)), ISO_MESSAGE()),
);

function ISO_MESSAGE() {
  return "must be an ISO 8601 date or date-time, e.g. 2026-01-31T00:00:00Z";
}

/** Arguments of `query_events` and the query of `GET /api/{ws}/log/{type}/{actorId}` (Jitsu's names). */
export const ReadEventsInput = v.object({
  workspaceId: v.pipe(
    v.string("must be a string"),
    v.minLength(1, "required"),
    v.description("Workspace id or slug (from list_workspaces)."),
  ),
  type: v.pipe(
    v.picklist(EVENT_LOG_TYPES, `must be one of ${EVENT_LOG_TYPES.join(", ")}`),
    v.description(
      "Which log: incoming (events received by a stream), function (function logs of a connection), " +
        "bulker_stream (per-event destination writes; in batch mode failed events only), bulker_batch " +
        "(batch-mode destination writes, one per table and batch), " +
        "dead-letter (events that failed every retry).",
    ),
  ),
  source: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.minLength(1, "must not be empty"),
      v.description(
        "Id of a source from list_event_sources: a stream for incoming, a connection for the other types, " +
          'or a destination for the writes of all its connections. Omit or "all" for every source.',
      ),
    ),
  ),
  levels: v.optional(
    v.pipe(
      v.union([
        v.pipe(v.string(), v.regex(LEVEL_LIST, "must list levels separated by commas")),
        v.pipe(v.array(v.picklist(EVENT_LOG_LEVELS)), v.minLength(1, "must not be empty")),
      ], `must be a comma-separated list of ${EVENT_LOG_LEVELS.join(", ")} (e.g. "error" or "error,warn")`),
      v.description('Levels to include, comma-separated: "error" shows only failures. Default: all.'),
    ),
  ),
  errorsOnly: v.optional(
    v.pipe(
      v.boolean("must be true or false"),
      v.description('true: only failures (the same as levels "error").'),
    ),
  ),
  start: v.optional(v.pipe(IsoDate, v.description("Only entries at or after this ISO 8601 time."))),
  end: v.optional(v.pipe(IsoDate, v.description("Only entries before this ISO 8601 time."))),
  search: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.maxLength(200, "at most 200 characters"),
      v.description("Case-insensitive text that the entry's JSON must contain (an event id, an error text)."),
    ),
  ),
  limit: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1, "at least 1"),
      v.maxValue(MAX_EVENTS_LIMIT, `at most ${MAX_EVENTS_LIMIT}`),
      v.description(
        `How many entries, newest first (default ${DEFAULT_EVENTS_LIMIT}, at most ${MAX_EVENTS_LIMIT}).`,
      ),
    ),
    DEFAULT_EVENTS_LIMIT,
  ),
  cursor: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.description("nextCursor from the previous call, to read the next (older) page."),
    ),
  ),
});

/** One entry as REST and MCP show it: Jitsu's `{date, level, content}` plus the ids. */
export interface PublicEvent {
  id: string;
  date: string;
  level: EventLogLevel;
  type: string;
  actorId: string;
  content: unknown;
}

function levelsOf(levels: string | string[] | undefined): EventLogLevel[] | null {
  if (levels === undefined) return null;
  const list = Array.isArray(levels) ? levels : levels.split(",").map((s) => s.trim());
  return [...new Set(list)] as EventLogLevel[];
}

async function readPage(ctx: Ctx, input: unknown) {
  const q = parseInput(ReadEventsInput, input, "Cannot query events");
  const ws = await resolveWorkspace(ctx, q.workspaceId);
  return await queryEventsRaw(ctx.db, {
    workspaceId: ws.id,
    type: q.type,
    actorId: q.source === undefined || q.source === "all"
      ? null
      : await actorIdsFor(ctx, ws.id, q.type, q.source),
    levels: q.errorsOnly ? ["error"] : levelsOf(q.levels),
    start: q.start ? new Date(q.start) : null,
    end: q.end ? new Date(q.end) : null,
    search: q.search || null,
    limit: q.limit,
    cursor: q.cursor ?? null,
  });
}

function publicHead(e: RawEventLogRecord) {
  return { id: e.id, date: e.timestamp.toISOString(), level: e.level, type: e.type, actorId: e.actorId };
}

/** Live Events of a workspace's source (or all its sources), newest first, with the next page's cursor. */
export async function readEvents(
  ctx: Ctx,
  input: unknown,
): Promise<{ events: PublicEvent[]; nextCursor: string | null }> {
  const page = await readPage(ctx, input);
  return {
    events: page.events.map((e) => ({ ...publicHead(e), content: JSON.parse(e.messageJson) })),
    nextCursor: page.nextCursor,
  };
}

/**
 * As {@linkcode readEvents}, but the events come as one JSON array text built around the stored
 * message text, so REST answers without parsing and re-serialising every entry.
 */
export async function readEventsJson(
  ctx: Ctx,
  input: unknown,
): Promise<{ json: string; nextCursor: string | null }> {
  const page = await readPage(ctx, input);
  const parts = page.events.map((e) => {
    const head = JSON.stringify(publicHead(e));
    return `${head.slice(0, -1)},"content":${e.messageJson}}`;
  });
  return { json: `[${parts.join(",")}]`, nextCursor: page.nextCursor };
}
