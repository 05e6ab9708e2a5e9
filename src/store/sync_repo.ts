/**
 * SQL of service syncs: tasks, saved connector state, run leases and claimed schedule fires. Connection
 * ids are unique per workspace only, so every query names the workspace as well as the connection.
 */
import type { Queryable } from "./db.ts";

/** A sync connection: its id is unique within its workspace only. */
export interface SyncRef {
  workspaceId: string;
  connectionId: string;
}

export type SyncTaskStatus = "PENDING" | "RUNNING" | "SUCCESS" | "FAILED" | "CANCELLED";

/** One run of a sync connection. */
export interface SyncTask {
  id: string;
  workspaceId: string;
  connectionId: string;
  status: SyncTaskStatus;
  trigger: "manual" | "scheduled";
  fullSync: boolean;
  cancelRequested: boolean;
  error: string | null;
  /** Rows written per stream. */
  metrics: Record<string, number>;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

type TaskRow = {
  id: string;
  workspace_id: string;
  connection_id: string;
  status: SyncTaskStatus;
  trigger: "manual" | "scheduled";
  full_sync: boolean;
  cancel_requested: boolean;
  error: string | null;
  metrics: Record<string, number>;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
};

function toTask(r: TaskRow): SyncTask {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    connectionId: r.connection_id,
    status: r.status,
    trigger: r.trigger,
    fullSync: r.full_sync,
    cancelRequested: r.cancel_requested,
    error: r.error,
    metrics: r.metrics ?? {},
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

export async function insertSyncTask(
  db: Queryable,
  t: Pick<SyncTask, "id" | "workspaceId" | "connectionId" | "status" | "trigger" | "fullSync"> & {
    now: Date;
  },
): Promise<SyncTask> {
  const rows = await db.query<TaskRow>(
    `insert into sync_tasks (id, workspace_id, connection_id, status, trigger, full_sync, started_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $7) returning *`,
    [t.id, t.workspaceId, t.connectionId, t.status, t.trigger, t.fullSync, t.now],
  );
  return toTask(rows[0]);
}

/** Sets a task's status (and error, metrics); a final status also sets `finished_at`. */
export async function updateSyncTask(
  db: Queryable,
  task: { workspaceId: string; id: string },
  u: { status?: SyncTaskStatus; error?: string | null; metrics?: Record<string, number>; now: Date },
): Promise<void> {
  const final = u.status === "SUCCESS" || u.status === "FAILED" || u.status === "CANCELLED";
  await db.query(
    `update sync_tasks set status = coalesce($2, status), error = coalesce($3, error),
       metrics = coalesce($4::jsonb, metrics), updated_at = $5,
       finished_at = case when $6 then $5 else finished_at end
     where id = $1 and workspace_id = $7`,
    [
      task.id,
      u.status ?? null,
      u.error ?? null,
      u.metrics ? JSON.stringify(u.metrics) : null,
      u.now,
      final,
      task.workspaceId,
    ],
  );
}

export async function findSyncTask(db: Queryable, ref: SyncRef, id: string): Promise<SyncTask | null> {
  const rows = await db.query<TaskRow>(
    `select * from sync_tasks where id = $1 and workspace_id = $2 and connection_id = $3`,
    [id, ref.workspaceId, ref.connectionId],
  );
  return rows[0] ? toTask(rows[0]) : null;
}

/** Newest first. */
export async function listSyncTasks(
  db: Queryable,
  ref: SyncRef,
  { limit = 50, status }: { limit?: number; status?: string } = {},
): Promise<SyncTask[]> {
  const rows = await db.query<TaskRow>(
    `select * from sync_tasks where workspace_id = $1 and connection_id = $2
       and ($3::text is null or status = $3)
     order by started_at desc, id desc limit $4`,
    [ref.workspaceId, ref.connectionId, status ?? null, limit],
  );
  return rows.map(toTask);
}

/** Marks the connection's unfinished tasks (or only `taskId`) for cancelling; returns their ids. */
export async function requestCancel(
  db: Queryable,
  ref: SyncRef,
  now: Date,
  taskId?: string,
): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `update sync_tasks set cancel_requested = true, updated_at = $3
     where workspace_id = $1 and connection_id = $2 and ($4::text is null or id = $4)
       and status in ('PENDING', 'RUNNING') returning id`,
    [ref.workspaceId, ref.connectionId, now, taskId ?? null],
  );
  return rows.map((r) => r.id);
}

export async function isCancelRequested(
  db: Queryable,
  task: { workspaceId: string; id: string },
): Promise<boolean> {
  const rows = await db.query<{ c: boolean }>(
    `select cancel_requested as c from sync_tasks where id = $1 and workspace_id = $2`,
    [task.id, task.workspaceId],
  );
  return rows[0]?.c ?? true;
}

/** Tasks left RUNNING or PENDING by an instance whose lease ran out (it died): marked FAILED. */
export async function failAbandonedTasks(db: Queryable, ref: SyncRef, now: Date): Promise<number> {
  const rows = await db.query(
    `update sync_tasks set status = 'FAILED', error = 'The instance running this task stopped (lease expired)',
       updated_at = $3, finished_at = $3
     where workspace_id = $1 and connection_id = $2 and status in ('PENDING', 'RUNNING')
       and not exists (select 1 from sync_leases l
         where l.workspace_id = $1 and l.connection_id = $2 and l.task_id = sync_tasks.id)
     returning id`,
    [ref.workspaceId, ref.connectionId, now],
  );
  return rows.length;
}

/** Task counts per status and rows written, for a workspace (optionally one connection) since `since`. */
export async function syncStat(
  db: Queryable,
  workspaceId: string,
  { connectionId, since }: { connectionId?: string; since: Date },
): Promise<{ connectionId: string; status: string; tasks: number; lastStartedAt: Date }[]> {
  const rows = await db.query<{ connection_id: string; status: string; n: number; last: Date }>(
    `select connection_id, status, count(*)::int as n, max(started_at) as last from sync_tasks
     where workspace_id = $1 and ($2::text is null or connection_id = $2) and started_at >= $3
     group by connection_id, status order by connection_id, status`,
    [workspaceId, connectionId ?? null, since],
  );
  return rows.map((r) => ({
    connectionId: r.connection_id,
    status: r.status,
    tasks: r.n,
    lastStartedAt: r.last,
  }));
}

/** Saved states: stream '' is a legacy state. */
export async function loadSyncState(db: Queryable, ref: SyncRef): Promise<Map<string, unknown>> {
  const rows = await db.query<{ stream: string; state: unknown }>(
    `select stream, state from sync_state where workspace_id = $1 and connection_id = $2 order by stream`,
    [ref.workspaceId, ref.connectionId],
  );
  return new Map(rows.map((r) => [r.stream, r.state]));
}

export async function saveSyncState(
  db: Queryable,
  ref: SyncRef,
  stream: string,
  state: unknown,
  now: Date,
): Promise<void> {
  await db.query(
    `insert into sync_state (workspace_id, connection_id, stream, state, updated_at)
     values ($1, $2, $3, $4::jsonb, $5)
     on conflict (workspace_id, connection_id, stream)
     do update set state = excluded.state, updated_at = excluded.updated_at`,
    [ref.workspaceId, ref.connectionId, stream, JSON.stringify(state), now],
  );
}

/** Forgets the state of every stream (or one): the next run starts from scratch. */
export async function deleteSyncState(db: Queryable, ref: SyncRef, stream?: string): Promise<number> {
  const rows = await db.query(
    `delete from sync_state where workspace_id = $1 and connection_id = $2
       and ($3::text is null or stream = $3) returning stream`,
    [ref.workspaceId, ref.connectionId, stream ?? null],
  );
  return rows.length;
}

/** Takes the connection's run lease unless another holder's is still valid. True when taken. */
export async function acquireSyncLease(
  db: Queryable,
  l: SyncRef & { holder: string; taskId: string; now: Date; ttlMs: number },
): Promise<boolean> {
  const rows = await db.query(
    `insert into sync_leases (workspace_id, connection_id, holder, task_id, expires_at)
     values ($1, $2, $3, $4, $5)
     on conflict (workspace_id, connection_id) do update set holder = excluded.holder,
       task_id = excluded.task_id, expires_at = excluded.expires_at
     where sync_leases.expires_at <= $6
     returning connection_id`,
    [l.workspaceId, l.connectionId, l.holder, l.taskId, new Date(l.now.getTime() + l.ttlMs), l.now],
  );
  return rows.length === 1;
}

/** Extends a held lease; false when it is no longer ours. */
export async function renewSyncLease(
  db: Queryable,
  l: SyncRef & { holder: string; now: Date; ttlMs: number },
): Promise<boolean> {
  const rows = await db.query(
    `update sync_leases set expires_at = $4 where workspace_id = $1 and connection_id = $2 and holder = $3
     returning connection_id`,
    [l.workspaceId, l.connectionId, l.holder, new Date(l.now.getTime() + l.ttlMs)],
  );
  return rows.length === 1;
}

export async function releaseSyncLease(db: Queryable, ref: SyncRef, holder: string): Promise<void> {
  await db.query(`delete from sync_leases where workspace_id = $1 and connection_id = $2 and holder = $3`, [
    ref.workspaceId,
    ref.connectionId,
    holder,
  ]);
}

/** The running task's id when a valid lease is held for the connection. */
export async function currentSyncLease(
  db: Queryable,
  ref: SyncRef,
  now: Date,
): Promise<{ taskId: string; holder: string } | null> {
  const rows = await db.query<{ task_id: string; holder: string }>(
    `select task_id, holder from sync_leases where workspace_id = $1 and connection_id = $2 and expires_at > $3`,
    [ref.workspaceId, ref.connectionId, now],
  );
  return rows[0] ? { taskId: rows[0].task_id, holder: rows[0].holder } : null;
}

/** Claims one scheduled fire time; true for exactly one caller across instances. */
export async function claimScheduleFire(db: Queryable, ref: SyncRef, fireAt: Date): Promise<boolean> {
  const rows = await db.query(
    `insert into sync_schedule_fires (workspace_id, connection_id, fire_at) values ($1, $2, $3)
     on conflict do nothing returning connection_id`,
    [ref.workspaceId, ref.connectionId, fireAt],
  );
  return rows.length === 1;
}

/** Live sync connections with a schedule, across workspaces (the scheduler's list). */
export async function scheduledSyncConnections(
  db: Queryable,
): Promise<{ id: string; workspaceId: string; schedule: string; timezone: string }[]> {
  const rows = await db.query<
    { id: string; workspace_id: string; schedule: string; timezone: string | null }
  >(
    `select id, workspace_id, config->'data'->>'schedule' as schedule, config->'data'->>'timezone' as timezone
     from config_objects where type = 'connection' and subtype = 'sync' and deleted_at is null
       and coalesce(config->'data'->>'schedule', '') <> ''`,
  );
  return rows.map((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    schedule: r.schedule,
    timezone: r.timezone ?? "UTC",
  }));
}

/** Retention: finished tasks that ended before `before`, and schedule fires older than a day. */
export async function deleteOldSyncRows(db: Queryable, before: Date, now: Date): Promise<void> {
  await db.query(`delete from sync_tasks where finished_at is not null and finished_at < $1`, [before]);
  await db.query(`delete from sync_schedule_fires where fire_at < $1`, [
    new Date(now.getTime() - 86_400_000),
  ]);
}
