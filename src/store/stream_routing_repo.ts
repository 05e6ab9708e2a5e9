/**
 * What ingest reads of streams to route an event and check its origin: a stream's
 * `authorizedJavaScriptDomains` and `strict`, the stream listing a host in its `domains`, and whether the
 * whole instance has a single stream (Jitsu's stream locators, src/ingest/stream_routing.ts).
 */
import type { Queryable } from "./db.ts";

/** What routing and the origin check need of one live stream. */
export interface StreamFacts {
  streamId: string;
  workspaceId: string;
  /** `authorizedJavaScriptDomains` as stored (null: any origin). */
  authorized: string | null;
  /** Only write keys open it (never a domain or being the sole stream). */
  strict: boolean;
}

/** The routing facts of one live stream, as selected. */
export interface StreamRoutingRow {
  id: string;
  workspace_id: string;
  authorized: string | null;
  strict: boolean | null;
}

const COLUMNS = `id, workspace_id, config->>'authorizedJavaScriptDomains' as authorized,
  (config->>'strict')::boolean as strict`;

/**
 * A live stream by id. Ids are unique per workspace: with `workspaceId` (a verified write key names it)
 * the stream of that workspace; without (a data host names only the id) the oldest live stream with that
 * id, so a later workspace that picks the same id never takes over an existing stream's data host.
 */
export async function findStreamRouting(
  db: Queryable,
  stream: { id: string; workspaceId: string | null },
): Promise<StreamRoutingRow | null> {
  const rows = await db.query<StreamRoutingRow>(
    `select ${COLUMNS} from config_objects
      where id = $1 and ($2::text is null or workspace_id = $2) and type = 'stream' and deleted_at is null
      order by created_at, workspace_id limit 1`,
    [stream.id, stream.workspaceId],
  );
  return rows[0] ?? null;
}

/** Live streams whose `domains` (stored lowercased) list `host`, oldest first. */
export async function streamsForHost(db: Queryable, host: string): Promise<StreamRoutingRow[]> {
  return await db.query<StreamRoutingRow>(
    `select ${COLUMNS} from config_objects
      where type = 'stream' and deleted_at is null and config->'domains' ? $1
      order by created_at, id`,
    [host],
  );
}

/** At most two live streams of the whole instance (two means "not a sole stream"). */
export async function firstTwoStreams(db: Queryable): Promise<StreamRoutingRow[]> {
  return await db.query<StreamRoutingRow>(
    `select ${COLUMNS} from config_objects where type = 'stream' and deleted_at is null
      order by created_at, id limit 2`,
  );
}

/** A row as ingest uses it. */
export function streamFacts(row: StreamRoutingRow): StreamFacts {
  return {
    streamId: row.id,
    workspaceId: row.workspace_id,
    authorized: row.authorized,
    strict: row.strict === true,
  };
}
