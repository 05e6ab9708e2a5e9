/**
 * Sync tasks as services see them: run_sync, cancel_sync, list_sync_tasks, get_sync_logs,
 * get_sync_state, reset_sync_state, get_sync_stat (MCP, and REST on Jitsu's /sources/* paths). Jitsu
 * calls the connection `syncId`; both `connectionId` and `syncId` are accepted.
 */
import * as v from "valibot";
import type { Ctx, Deps } from "../deps.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import { queryEvents } from "../events_log/events_log.ts";
import { resolveWorkspace } from "../services/workspaces.ts";
import { findConfigObject } from "../store/resources_repo.ts";
import {
  acquireSyncLease,
  currentSyncLease,
  deleteSyncState,
  failAbandonedTasks,
  findSyncTask,
  insertSyncTask,
  listSyncTasks as listTasks,
  loadSyncState,
  requestCancel,
  syncStat,
  type SyncTask,
} from "../store/sync_repo.ts";
import { parseInput } from "../validation.ts";
import { DEFAULT_TIMINGS, executeSync, type RunTimings } from "./run.ts";

const Text = v.pipe(v.string("must be a string"), v.minLength(1, "required"));
const Flag = v.optional(
  v.union([v.boolean(), v.picklist(["true", "false", "1", "0"])], "must be true or false"),
);

/** `{workspaceId, connectionId | syncId}` and a tool's own fields. */
export function syncRef<E extends v.ObjectEntries>(extra: E) {
  return v.object({ workspaceId: Text, connectionId: v.optional(Text), syncId: v.optional(Text), ...extra });
}

function isTrue(x: unknown): boolean {
  return x === true || x === "true" || x === "1";
}

async function resolveSync(
  ctx: Ctx,
  q: { workspaceId: string; connectionId?: string; syncId?: string },
  action: string,
  write: boolean,
) {
  const id = q.connectionId ?? q.syncId;
  if (!id) {
    throw new ValidationError(`${action}: connectionId: required`, [{
      path: "connectionId",
      message: "required",
    }]);
  }
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write });
  const row = await findConfigObject(ctx.db, ws.id, "connection", id);
  if (!row || row.subtype !== "sync") {
    throw new NotFoundError(`sync connection "${id}" not found in workspace "${q.workspaceId}"`);
  }
  return { workspaceId: ws.id, connectionId: id };
}

export function publicTask(t: SyncTask) {
  return {
    taskId: t.id,
    syncId: t.connectionId,
    status: t.status,
    trigger: t.trigger,
    fullSync: t.fullSync,
    error: t.error,
    rows: t.metrics,
    startedAt: t.startedAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    finishedAt: t.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Takes the connection's lease, records a PENDING task and runs it in the background. Null when a run
 * holds the lease. The returned promise is the task id; `done` settles when the run ends.
 */
export async function startSyncRun(
  deps: Deps,
  r: {
    workspaceId: string;
    connectionId: string;
    trigger: "manual" | "scheduled";
    fullSync: boolean;
    signal?: AbortSignal;
  },
  timings: RunTimings = DEFAULT_TIMINGS,
): Promise<{ taskId: string; done: Promise<unknown> } | null> {
  const now = deps.clock.now();
  const taskId = crypto.randomUUID();
  if (
    !await acquireSyncLease(deps.db, {
      workspaceId: r.workspaceId,
      connectionId: r.connectionId,
      holder: taskId,
      taskId,
      now,
      ttlMs: timings.leaseTtlMs,
    })
  ) {
    return null;
  }
  // A task whose instance died (its lease expired and was just taken over) never finishes by itself.
  await failAbandonedTasks(deps.db, r, now);
  await insertSyncTask(deps.db, {
    id: taskId,
    workspaceId: r.workspaceId,
    connectionId: r.connectionId,
    status: "PENDING",
    trigger: r.trigger,
    fullSync: r.fullSync,
    now,
  });
  const done = executeSync(deps, {
    workspaceId: r.workspaceId,
    connectionId: r.connectionId,
    taskId,
    fullSync: r.fullSync,
    signal: AbortSignal.any([r.signal, deps.syncRuns?.signal].filter((x) => x !== undefined)),
  }, timings)
    .catch((e) =>
      deps.log.error("sync run failed", {
        workspaceId: r.workspaceId,
        connectionId: r.connectionId,
        taskId,
        error: e,
      })
    );
  deps.syncRuns?.track(done);
  return { taskId, done };
}

/** `run_sync`: starts a run now; answers the task id (or the running task when one is in flight). */
export async function runSync(ctx: Ctx, input: unknown, timings?: RunTimings) {
  const action = "Cannot run sync";
  const q = parseInput(syncRef({ fullSync: Flag }), input, action);
  const s = await resolveSync(ctx, q, action, true);
  const started = await startSyncRun(ctx, { ...s, trigger: "manual", fullSync: isTrue(q.fullSync) }, timings);
  if (!started) {
    const running = await currentSyncLease(ctx.db, s, ctx.clock.now());
    throw new ConflictError(
      `${action}: a task of this sync is already running: "${running?.taskId ?? "unknown"}"`,
    );
  }
  return { ok: true, taskId: started.taskId, status: "PENDING" };
}

/**
 * `cancel_sync`: asks the running task (only `taskId` when given) to stop; the instance running it
 * kills the connector. A `taskId` that is not a task of this sync in this workspace is a 404.
 */
export async function cancelSync(ctx: Ctx, input: unknown) {
  const action = "Cannot cancel sync";
  const q = parseInput(syncRef({ taskId: v.optional(Text) }), input, action);
  const s = await resolveSync(ctx, q, action, true);
  if (q.taskId && !await findSyncTask(ctx.db, s, q.taskId)) {
    throw new NotFoundError(`${action}: task "${q.taskId}" not found for sync "${s.connectionId}"`);
  }
  const ids = await requestCancel(ctx.db, s, ctx.clock.now(), q.taskId);
  return { ok: true, cancelled: ids };
}

/** `list_sync_tasks`: newest first, at most 50 (or one task with `taskId`). */
export async function listSyncTasks(ctx: Ctx, input: unknown) {
  const action = "Cannot list sync tasks";
  const q = parseInput(
    syncRef({
      taskId: v.optional(Text),
      status: v.optional(
        v.picklist(
          ["PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELLED"],
          "must be PENDING, RUNNING, SUCCESS, FAILED or CANCELLED",
        ),
      ),
      limit: v.optional(
        v.pipe(
          v.number("must be a number"),
          v.integer("must be an integer"),
          v.minValue(1, "must be at least 1"),
          v.maxValue(200, "must be at most 200"),
        ),
      ),
    }),
    input,
    action,
  );
  const s = await resolveSync(ctx, q, action, false);
  if (q.taskId) {
    const t = await findSyncTask(ctx.db, s, q.taskId);
    if (!t) throw new NotFoundError(`task "${q.taskId}" not found for sync "${s.connectionId}"`);
    return { ok: true, tasks: [publicTask(t)] };
  }
  const tasks = await listTasks(ctx.db, s, { limit: q.limit ?? 50, status: q.status });
  return { ok: true, tasks: tasks.map(publicTask) };
}

/** `get_sync_logs`: the Live Events (type sync) of a task, or of the latest task. Oldest first. */
export async function getSyncLogs(ctx: Ctx, input: unknown) {
  const action = "Cannot get sync logs";
  const q = parseInput(syncRef({ taskId: v.optional(Text) }), input, action);
  const s = await resolveSync(ctx, q, action, false);
  const taskId = q.taskId ?? (await listTasks(ctx.db, s, { limit: 1 }))[0]?.id;
  if (!taskId) return { ok: true, taskId: null, logs: [] };
  const page = await queryEvents(ctx.db, {
    workspaceId: s.workspaceId,
    actorId: s.connectionId,
    type: "sync",
    search: `"taskId":"${taskId}"`,
    limit: 1000,
  });
  const logs = page.events.reverse().map((e) => {
    const m = e.message as { text?: string; source?: string } & Record<string, unknown>;
    const { taskId: _t, text, source, ...extra } = m;
    return {
      timestamp: e.timestamp.toISOString(),
      level: e.level,
      source,
      message: text ?? "",
      ...(Object.keys(extra).length ? { details: extra } : {}),
    };
  });
  return { ok: true, taskId, logs };
}

/** `get_sync_state`: the saved state per stream ("_legacy" for a whole-connector state). */
export async function getSyncState(ctx: Ctx, input: unknown) {
  const action = "Cannot get sync state";
  const q = parseInput(syncRef({}), input, action);
  const s = await resolveSync(ctx, q, action, false);
  const saved = await loadSyncState(ctx.db, s);
  return { ok: true, state: Object.fromEntries([...saved].map(([k, x]) => [k || "_legacy", x])) };
}

/** `reset_sync_state`: forgets the state (every stream, or one) so the next run starts over. */
export async function resetSyncState(ctx: Ctx, input: unknown) {
  const action = "Cannot reset sync state";
  const q = parseInput(syncRef({ stream: v.optional(Text) }), input, action);
  const s = await resolveSync(ctx, q, action, true);
  const running = await currentSyncLease(ctx.db, s, ctx.clock.now());
  if (running) {
    throw new ConflictError(
      `${action}: a task is running ("${running.taskId}"); cancel it or wait for it to end`,
    );
  }
  const stream = q.stream === "_legacy" ? "" : q.stream;
  const deleted = await deleteSyncState(ctx.db, s, stream);
  return { ok: true, deleted };
}

/** `get_sync_stat`: tasks per status for the workspace's syncs (or one) over the last `days` days. */
export async function getSyncStat(ctx: Ctx, input: unknown) {
  const action = "Cannot get sync stat";
  const q = parseInput(
    syncRef({
      days: v.optional(
        v.pipe(
          v.number("must be a number"),
          v.integer("must be an integer"),
          v.minValue(1, "must be at least 1"),
          v.maxValue(365, "must be at most 365"),
        ),
      ),
    }),
    input,
    action,
  );
  let workspaceId: string;
  let connectionId: string | undefined;
  if (q.connectionId ?? q.syncId) {
    const s = await resolveSync(ctx, q, action, false);
    workspaceId = s.workspaceId;
    connectionId = s.connectionId;
  } else {
    workspaceId = (await resolveWorkspace(ctx, q.workspaceId)).id;
  }
  const days = q.days ?? 30;
  const since = new Date(ctx.clock.now().getTime() - days * 86_400_000);
  const rows = await syncStat(ctx.db, workspaceId, { connectionId, since });
  const bySync: Record<string, { tasks: Record<string, number>; lastStartedAt: string }> = {};
  for (const r of rows) {
    const e = bySync[r.connectionId] ??= { tasks: {}, lastStartedAt: r.lastStartedAt.toISOString() };
    e.tasks[r.status] = r.tasks;
    if (r.lastStartedAt.toISOString() > e.lastStartedAt) e.lastStartedAt = r.lastStartedAt.toISOString();
  }
  return { ok: true, days, syncs: bySync };
}
