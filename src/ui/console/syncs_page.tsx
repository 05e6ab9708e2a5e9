/**
 * The Syncs page: every sync connection (`type: "sync"`) of the workspace with its latest tasks
 * (listSyncTasks, as `GET /api/{ws}/sources/tasks`), and for editors and owners **Run**, **Full sync**
 * and **Cancel** forms that call runSync and cancelSync (the services REST and MCP call: same checks,
 * same errors). Each form posts with the session's CSRF token and redirects back (POST-redirect-GET).
 * A task's log lines (getSyncLogs) open on their own page.
 */
import type { Context, Hono } from "hono";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../http/env.ts";
import { listResources } from "../../services/resources.ts";
import { cancelSync, getSyncLogs, listSyncTasks, runSync } from "../../sync/syncs.ts";
import { ConsoleLayout, type ConsolePage, Notice, openConsole, openConsoleForm } from "./shell.tsx";

type Task = Awaited<ReturnType<typeof listSyncTasks>>["tasks"][number];
type LogLine = Awaited<ReturnType<typeof getSyncLogs>>["logs"][number];

/** Tasks shown per sync. */
const TASKS_SHOWN = 10;

const NOTICES: Record<string, string> = {
  started: "Sync started.",
  cancelling: "Cancel requested: the running task stops shortly.",
};

interface SyncView {
  id: string;
  name: string;
  fromId: string;
  toId: string;
  tasks: Task[];
}

async function syncViews(page: ConsolePage): Promise<SyncView[]> {
  const { objects } = await listResources(page.ctx, {
    workspaceId: page.workspace.id,
    type: "connection",
    limit: 1000,
  });
  const syncs = (objects as Record<string, unknown>[]).filter((o) => o.type === "sync");
  return await Promise.all(syncs.map(async (o) => {
    const id = String(o.id);
    const { tasks } = await listSyncTasks(page.ctx, {
      workspaceId: page.workspace.id,
      connectionId: id,
      limit: TASKS_SHOWN,
    });
    return {
      id,
      name: typeof o.name === "string" && o.name ? o.name : id,
      fromId: String(o.fromId ?? ""),
      toId: String(o.toId ?? ""),
      tasks,
    };
  }));
}

function when(iso: string | null): string {
  return iso ? iso.replace("T", " ").slice(0, 19) : "";
}

function rowsText(rows: Task["rows"]): string {
  const entries = Object.entries(rows ?? {});
  return entries.length ? entries.map(([stream, n]) => `${stream}: ${n}`).join(", ") : "none";
}

function Csrf({ page }: { page: ConsolePage }) {
  return <input type="hidden" name="csrf" value={page.csrf} />;
}

function TaskRow({ page, sync, task }: { page: ConsolePage; sync: SyncView; task: Task }) {
  const running = task.status === "RUNNING" || task.status === "PENDING";
  const logs = `${page.base}/syncs/${encodeURIComponent(sync.id)}/logs?task=${
    encodeURIComponent(task.taskId)
  }`;
  return (
    <tr data-task={task.taskId} data-status={task.status}>
      <td>
        <a href={logs} aria-label={`Logs of task ${task.taskId}`}>{task.status}</a>
        {task.fullSync ? " (full)" : ""}
      </td>
      <td>
        <time datetime={task.startedAt}>{when(task.startedAt)}</time>
      </td>
      <td>{task.finishedAt ? <time datetime={task.finishedAt}>{when(task.finishedAt)}</time> : "…"}</td>
      <td class="rows">{rowsText(task.rows)}</td>
      <td class="error-text">{task.error ?? ""}</td>
      {page.readOnly ? null : (
        <td>
          {running
            ? (
              <form method="post" action={`${page.base}/syncs/${encodeURIComponent(sync.id)}/cancel`}>
                <Csrf page={page} />
                <input type="hidden" name="taskId" value={task.taskId} />
                <button type="submit" class="danger" aria-label={`Cancel task ${task.taskId}`}>Cancel</button>
              </form>
            )
            : null}
        </td>
      )}
    </tr>
  );
}

function SyncCard({ page, sync }: { page: ConsolePage; sync: SyncView }) {
  const action = `${page.base}/syncs/${encodeURIComponent(sync.id)}/run`;
  const taskRow = (task: Task) => <TaskRow page={page} sync={sync} task={task} />;
  return (
    <div class="card" data-sync={sync.id}>
      <h2>{sync.name}</h2>
      <p class="muted">
        From service <code>{sync.fromId}</code> to destination <code>{sync.toId}</code> ·{" "}
        <a href={`${page.base}/connections/${encodeURIComponent(sync.id)}`}>Edit connection</a>
      </p>
      {page.readOnly ? null : (
        <div class="row">
          <form method="post" action={action}>
            <Csrf page={page} />
            <button type="submit">Run</button>
          </form>
          <form method="post" action={action}>
            <Csrf page={page} />
            <input type="hidden" name="fullSync" value="true" />
            <button type="submit" class="secondary" title="Forget the saved state and read everything again">
              Full sync
            </button>
          </form>
        </div>
      )}
      {sync.tasks.length
        ? (
          <table class="tasks">
            <thead>
              <tr>
                <th>Status</th>
                <th>Started</th>
                <th>Finished</th>
                <th>Rows per stream</th>
                <th>Error</th>
                {page.readOnly ? null : <th></th>}
              </tr>
            </thead>
            <tbody>
              {sync.tasks.map(taskRow)}
            </tbody>
          </table>
        )
        : <p class="muted">No task yet.</p>}
    </div>
  );
}

async function showSyncs(
  c: Context<AppEnv>,
  page: ConsolePage,
  opts: { status?: 200 | 400 | 403 | 404 | 409; error?: string } = {},
) {
  const syncs = await syncViews(page);
  const syncCard = (sync: SyncView) => <SyncCard page={page} sync={sync} />;
  return c.html(
    <ConsoleLayout page={page} title="Syncs" section="Syncs">
      <div class="card">
        <h1>Syncs</h1>
        <Notice text={opts.error ? undefined : NOTICES[c.req.query("notice") ?? ""]} />
        {opts.error ? <p class="error" role="alert" id="syncs-error">{opts.error}</p> : null}
        {syncs.length ? null : (
          <p class="muted">
            No sync connection yet: create a connection of type <code>sync</code>{" "}
            from a service to a destination (REST, MCP or the CLI).
          </p>
        )}
      </div>
      {syncs.map(syncCard)}
    </ConsoleLayout>,
    opts.status ?? 200,
  );
}

/** `/{ws}/syncs`. */
async function syncsPage(c: Context<AppEnv>) {
  const page = await openConsole(c, c.req.param("ws") ?? "");
  if (page instanceof Response) return page;
  return await showSyncs(c, page);
}

/** `/{ws}/syncs/{connectionId}/logs[?task=]`: a task's log lines (the latest task without `task`). */
async function logsPage(c: Context<AppEnv>) {
  const page = await openConsole(c, c.req.param("ws") ?? "");
  if (page instanceof Response) return page;
  const connectionId = c.req.param("conn") ?? "";
  const task = c.req.query("task");
  let result: { taskId: string | null; logs: LogLine[] } | undefined;
  let error: string | undefined;
  let status: 200 | 400 | 404 = 200;
  try {
    result = await getSyncLogs(page.ctx, {
      workspaceId: page.workspace.id,
      connectionId,
      ...(task ? { taskId: task } : {}),
    });
  } catch (e) {
    if (!(e instanceof AppError && e.expose)) throw e;
    error = e.message;
    status = e.status === 404 ? 404 : 400;
  }
  return c.html(
    <ConsoleLayout page={page} title="Sync logs" section="Syncs">
      <div class="card">
        <h1>Logs of sync {connectionId}</h1>
        <p>
          <a href={`${page.base}/syncs`}>Back to Syncs</a>
        </p>
        {error ? <p class="error" role="alert">{error}</p> : null}
        {result ? <p class="muted">Task {result.taskId ?? "none yet"}</p> : null}
        {result && result.logs.length === 0 ? <p class="muted">No log lines.</p> : null}
        {result && result.logs.length
          ? (
            <pre id="sync-logs">{result.logs.map((l) => `${when(l.timestamp)} ${l.level.toUpperCase()} ${l.source ?? ""} ${l.message}\n`).join("")}</pre>
          )
          : null}
      </div>
    </ConsoleLayout>,
    status,
  );
}

type Action = (page: ConsolePage, connectionId: string, form: Record<string, unknown>) => Promise<string>;

const ACTIONS: Record<string, Action> = {
  async run(page, connectionId, form) {
    await runSync(page.ctx, {
      workspaceId: page.workspace.id,
      connectionId,
      fullSync: form.fullSync === "true",
    });
    return "started";
  },
  async cancel(page, connectionId, form) {
    await cancelSync(page.ctx, {
      workspaceId: page.workspace.id,
      connectionId,
      ...(typeof form.taskId === "string" && form.taskId ? { taskId: form.taskId } : {}),
    });
    return "cancelling";
  },
};

/** POST `/{ws}/syncs/{connectionId}/{run|cancel}`: the service's answer, then back to the page. */
async function syncAction(c: Context<AppEnv>) {
  const opened = await openConsoleForm(c, c.req.param("ws") ?? "");
  if (opened instanceof Response) return opened;
  const { page, form } = opened;
  const action = ACTIONS[c.req.param("action") ?? ""];
  if (!action) return await showSyncs(c, page, { status: 404, error: "No such sync action." });
  try {
    const notice = await action(page, c.req.param("conn") ?? "", form);
    return c.redirect(`${page.base}/syncs?notice=${notice}`, 303);
  } catch (e) {
    if (!(e instanceof AppError && e.expose)) throw e;
    const status = ([403, 404, 409] as const).find((x) => x === e.status) ?? 400;
    return await showSyncs(c, page, { status, error: e.message });
  }
}

/** Mounts the Syncs page, its logs page and its forms. */
export function mountSyncs(app: Hono<AppEnv>) {
  app.get("/:ws/syncs", syncsPage);
  app.get("/:ws/syncs/:conn/logs", logsPage);
  app.post("/:ws/syncs/:conn/:action", syncAction);
}
