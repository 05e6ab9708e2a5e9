import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { listResources } from "../services/resources.ts";
import { resolveWorkspace } from "../services/workspaces.ts";
import { parseInput } from "../validation.ts";
import { EVENT_LOG_TYPES, type EventLogType } from "./events_log.ts";

/**
 * Which sources each log type is written for (the pipeline's contract): `incoming` by stream id;
 * `function`, the destination writes and `dead-letter` by connection id. A destination reads the
 * destination-write entries of every connection that delivers to it.
 */
const TYPES_BY_KIND = {
  stream: ["incoming"],
  connection: ["function", "bulker_stream", "bulker_batch", "dead-letter"],
  destination: ["bulker_stream", "bulker_batch"],
} as const satisfies Record<string, readonly EventLogType[]>;

export type SourceKind = keyof typeof TYPES_BY_KIND;

export interface EventSource {
  id: string;
  name: string;
  kind: SourceKind;
  /** The `type` values of query_events this source has entries for. */
  types: EventLogType[];
}

export const EventSourcesInput = v.object({
  workspaceId: v.pipe(
    v.string("must be a string"),
    v.minLength(1, "required"),
    v.description("Workspace id or slug (from list_workspaces)."),
  ),
  type: v.optional(
    v.pipe(
      v.picklist(EVENT_LOG_TYPES, `must be one of ${EVENT_LOG_TYPES.join(", ")}`),
      v.description("Only sources that have this log type (as query_events takes it)."),
    ),
  ),
});

type Obj = Record<string, unknown> & { id: string };

async function objects(ctx: Ctx, workspaceId: string, type: "stream" | "connection" | "destination") {
  const { objects } = await listResources(ctx, { workspaceId, type, limit: 1000 }) as unknown as {
    objects: Obj[];
  };
  return objects;
}

/** The streams, connections and destinations whose Live Events can be read, with the types each has. */
export async function listEventSources(ctx: Ctx, input: unknown): Promise<{ sources: EventSource[] }> {
  const q = parseInput(EventSourcesInput, input, "Cannot list event sources");
  const ws = await resolveWorkspace(ctx, q.workspaceId);
  const [streams, connections, destinations] = await Promise.all([
    objects(ctx, ws.id, "stream"),
    objects(ctx, ws.id, "connection"),
    objects(ctx, ws.id, "destination"),
  ]);
  const names = new Map<string, string>();
  for (const o of [...streams, ...destinations]) names.set(o.id, String(o.name ?? o.id));
  const sources: EventSource[] = [
    ...streams.map((o) => source(o, "stream", names.get(o.id)!)),
    ...connections.map((o) => {
      const from = String(o.fromId ?? "");
      const to = String(o.toId ?? "");
      return source(o, "connection", `${names.get(from) ?? from} → ${names.get(to) ?? to}`);
    }),
    ...destinations.map((o) => source(o, "destination", names.get(o.id)!)),
  ];
  return { sources: q.type ? sources.filter((s) => s.types.includes(q.type!)) : sources };
}

function source(o: Obj, kind: SourceKind, name: string): EventSource {
  return { id: o.id, name, kind, types: [...TYPES_BY_KIND[kind]] };
}

/**
 * The actor ids to read for `source`: itself, plus (for destination-write logs) the connections that
 * deliver to it when it is a destination.
 */
export async function actorIdsFor(
  ctx: Ctx,
  workspaceId: string,
  type: EventLogType,
  sourceId: string,
): Promise<string[]> {
  if (type !== "bulker_stream" && type !== "bulker_batch") return [sourceId];
  const connections = await objects(ctx, workspaceId, "connection");
  return [sourceId, ...connections.filter((c) => c.toId === sourceId).map((c) => c.id)];
}
