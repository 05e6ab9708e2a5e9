/**
 * One run of a sync connection, from the lease to the final status. The connector's records are
 * buffered and written through SyncWriter; a STATE message is saved only after every record before it
 * was committed to the destination, so a run that dies (connector killed, Sluice stopped) resumes from
 * the last committed state and loses nothing. The lease is renewed while the run lasts; the same loop
 * notices cancel_sync (a flag on the task row, so any instance can cancel).
 */
import type { Deps } from "../deps.ts";
import {
  type MysqlCredentials,
  parseMysqlCredentials,
  parsePostgresCredentials,
  type PostgresCredentials,
} from "../destinations/warehouse/credentials.ts";
import { openWarehouseClient } from "../destinations/warehouse/test_connection.ts";
import { plainConfig } from "../services/resource_objects.ts";
import { findConfigObject } from "../store/resources_repo.ts";
import {
  deleteSyncState,
  isCancelRequested,
  loadSyncState,
  releaseSyncLease,
  renewSyncLease,
  saveSyncState,
  type SyncTaskStatus,
  updateSyncTask,
} from "../store/sync_repo.ts";
import { runConnector } from "./connector.ts";
import { resolveLauncher } from "./launcher.ts";
import { type ConnectorMessage, maskSecrets, stateFile, stateKey } from "./protocol.ts";
import { collect, loadSource, sourceSecrets } from "./source.ts";
import { SyncLog } from "./sync_log.ts";
import { keyColumn, type StreamPlan, SyncWriter } from "./sync_writer.ts";

/** Timings of runs; tests shorten them. */
export interface RunTimings {
  leaseTtlMs: number;
  /** How often the lease is renewed and a cancel looked for. */
  renewEveryMs: number;
  /** Records buffered before a flush without a state. */
  flushRows: number;
}

export const DEFAULT_TIMINGS: RunTimings = { leaseTtlMs: 60_000, renewEveryMs: 2_000, flushRows: 10_000 };

export interface RunRequest {
  workspaceId: string;
  connectionId: string;
  taskId: string;
  fullSync: boolean;
  /** Stops the run (server shutdown): the connector is killed and the task fails; state stays. */
  signal?: AbortSignal;
}

interface StreamSetting {
  sync_mode: "full_refresh" | "incremental";
  cursor_field?: string[];
  primary_key?: string[][];
  table_name?: string;
}

/** Runs a task whose lease is held; always ends with a final status and the lease released. */
export async function executeSync(
  deps: Deps,
  req: RunRequest,
  timings: RunTimings = DEFAULT_TIMINGS,
): Promise<SyncTaskStatus> {
  const log = new SyncLog(deps.db, req.workspaceId, req.connectionId, req.taskId, deps.clock);
  const abort = new AbortController();
  let cancelled = false;
  let leaseLost = false;
  const onShutdown = () => abort.abort();
  req.signal?.addEventListener("abort", onShutdown);
  const renew = setInterval(async function renewLease() {
    try {
      const now = deps.clock.now();
      if (
        !await renewSyncLease(deps.db, {
          workspaceId: req.workspaceId,
          connectionId: req.connectionId,
          holder: req.taskId,
          now,
          ttlMs: timings.leaseTtlMs,
        })
      ) {
        leaseLost = true;
        abort.abort();
      } else if (await isCancelRequested(deps.db, { workspaceId: req.workspaceId, id: req.taskId })) {
        cancelled = true;
        abort.abort();
      }
    } catch (e) {
      deps.log.warn("cannot renew sync lease", {
        workspaceId: req.workspaceId,
        connectionId: req.connectionId,
        error: e,
      });
    }
  }, timings.renewEveryMs);
  let status: SyncTaskStatus = "FAILED";
  let error: string | null = null;
  let metrics: Record<string, number> = {};
  let secrets: string[] = [];
  const task = { workspaceId: req.workspaceId, id: req.taskId };
  try {
    await updateSyncTask(deps.db, task, { status: "RUNNING", now: deps.clock.now() });
    const result = await runOnce(deps, req, timings, log, abort.signal, (s) => secrets = s);
    metrics = result.metrics;
    if (cancelled) {
      status = "CANCELLED";
      error = "Cancelled by cancel_sync";
    } else if (req.signal?.aborted) {
      error = "Stopped: the server is shutting down (the next run resumes from the saved state)";
    } else if (leaseLost) {
      error = "Lost the run lease (another instance took over)";
    } else if (result.error) {
      error = result.error;
    } else {
      status = "SUCCESS";
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    if (cancelled) status = "CANCELLED";
  } finally {
    clearInterval(renew);
    req.signal?.removeEventListener("abort", onShutdown);
  }
  if (error) error = maskSecrets(error, secrets);
  try {
    if (error) log.add(status === "CANCELLED" ? "warn" : "error", error);
    log.add("info", `Sync ${status}`, { status, rows: metrics });
    await log.flush();
    await updateSyncTask(deps.db, task, { status, error, metrics, now: deps.clock.now() });
  } finally {
    await releaseSyncLease(deps.db, req, req.taskId).catch(() => {});
  }
  return status;
}

async function runOnce(
  deps: Deps,
  req: RunRequest,
  timings: RunTimings,
  log: SyncLog,
  signal: AbortSignal,
  onSecrets: (s: string[]) => void,
): Promise<{ metrics: Record<string, number>; error?: string }> {
  const connRow = await findConfigObject(deps.db, req.workspaceId, "connection", req.connectionId);
  if (!connRow || connRow.subtype !== "sync") {
    throw new Error(`sync connection "${req.connectionId}" not found`);
  }
  const conn = await plainConfig(deps, connRow);
  const data = (conn.data ?? {}) as { streams?: Record<string, StreamSetting>; tableNamePrefix?: string };
  const src = await loadSource(deps, req.workspaceId, String(conn.fromId));
  const destRow = await findConfigObject(deps.db, req.workspaceId, "destination", String(conn.toId));
  if (!destRow) throw new Error(`destination "${conn.toId}" not found`);
  const dest = await plainConfig(deps, destRow);
  const kind = dest.destinationType === "mysql"
    ? "mysql"
    : dest.destinationType === "postgres"
    ? "postgres"
    : null;
  if (!kind) throw new Error(`a sync writes to postgres or mysql, not ${dest.destinationType}`);
  const creds: PostgresCredentials | MysqlCredentials = kind === "postgres"
    ? parsePostgresCredentials(dest)
    : parseMysqlCredentials(dest);
  const secrets = await sourceSecrets(deps, src);
  onSecrets(secrets);

  // The configured catalog: discovered streams, narrowed to (and set up as) data.streams.
  const discovered = await collect(deps, src, "discover", { config: src.credentials, secrets });
  const catalogMsg = discovered.messages.find((m) => m.type === "CATALOG");
  if (catalogMsg?.type !== "CATALOG") {
    const trace = discovered.messages.find((m) => m.type === "TRACE");
    throw new Error(
      `Connector discover failed: ${
        trace?.type === "TRACE" ? trace.message : discovered.stderr.trim().slice(-300) || "no CATALOG"
      }`,
    );
  }
  const wanted = data.streams ??
    Object.fromEntries(
      catalogMsg.streams.map((s) => [s.name, { sync_mode: "full_refresh" } as StreamSetting]),
    );
  const unknown = Object.keys(wanted).filter((n) => !catalogMsg.streams.some((s) => s.name === n));
  if (unknown.length) {
    throw new Error(`The connector has no stream ${unknown.map((n) => `"${n}"`).join(", ")}`);
  }
  const client = await openWarehouseClient(kind, creds, { max: 2 });
  try {
    const plans: StreamPlan[] = [];
    const configured = catalogMsg.streams.filter((s) => s.name in wanted).map((s) => {
      const set = wanted[s.name];
      const pk = set.primary_key ?? s.source_defined_primary_key ?? [];
      const cursor = set.cursor_field ?? s.default_cursor_field;
      plans.push({
        name: s.name,
        table: `${data.tableNamePrefix ?? ""}${set.table_name ?? s.name}`,
        syncMode: set.sync_mode,
        primaryKey: pk.map((p) => keyColumn(p, client.maxNameLength)),
      });
      return {
        stream: s,
        sync_mode: set.sync_mode,
        destination_sync_mode: set.sync_mode === "full_refresh"
          ? "overwrite"
          : pk.length
          ? "append_dedup"
          : "append",
        ...(cursor ? { cursor_field: cursor } : {}),
        ...(pk.length ? { primary_key: pk } : {}),
      };
    });
    if (req.fullSync) await deleteSyncState(deps.db, req);
    const saved = await loadSyncState(deps.db, req);
    // Full-refresh streams start over every run; only incremental streams resume from their state.
    for (const p of plans) if (p.syncMode === "full_refresh") saved.delete(p.name);
    const writer = new SyncWriter(client, plans);
    log.add("info", `Sync started: ${plans.length} stream(s)`, {
      streams: plans.map((p) => ({ stream: p.name, table: p.table, mode: p.syncMode })),
      resumedFrom: [...saved.keys()].map((k) => k || "(legacy state)"),
    });
    const launch = await resolveLauncher({
      connectorsDir: deps.config.syncConnectorsDir,
      pkg: src.pkg,
      version: src.version,
      runId: req.taskId,
    });
    let traceError: string | undefined;
    let logLines = 0;
    const onOther = async (m: ConnectorMessage) => {
      switch (m.type) {
        case "STATE": {
          const { key, value } = stateKey(m.state);
          await writer.commit(() => saveSyncState(deps.db, req, key, value, deps.clock.now()));
          break;
        }
        case "LOG":
          if (logLines++ < 1000) log.connectorLog(m.level, maskSecrets(m.message, secrets));
          break;
        case "TRACE":
          if (m.traceType === "ERROR") traceError = maskSecrets(m.message, secrets);
          log.add(
            m.traceType === "ERROR" ? "error" : "info",
            maskSecrets(`Connector ${m.traceType}: ${m.message}`, secrets),
          );
          break;
        case "junk":
          if (logLines++ < 1000) {
            log.add(
              "warn",
              `Connector output is not a protocol message (${m.reason}): ${maskSecrets(m.line, secrets)}`,
            );
          }
          break;
        default:
          break;
      }
      if (log.pending >= 100) await log.flush();
    };
    // Records, nearly every message, stay synchronous until a flush is due.
    const onMessage = (m: ConnectorMessage): Promise<void> | undefined => {
      if (m.type !== "RECORD") return onOther(m);
      if (writer.add(m.stream, m.data) && writer.buffered >= timings.flushRows) return writer.commit();
      return undefined;
    };
    const finish = async (error?: string) => {
      // Writes already queued (with the states they cover) still complete; a write error wins.
      await writer.drain();
      return { metrics: writer.metrics(), ...(error ? { error } : {}) };
    };
    const state = stateFile(saved);
    const out = await runConnector({
      launch,
      command: "read",
      files: {
        config: src.credentials,
        catalog: { streams: configured },
        ...(state !== null ? { state } : {}),
      },
      timeoutMs: deps.config.syncTimeoutSeconds * 1000,
      signal,
      secrets,
      onMessage,
    });
    if (out.stopped === "aborted") return await finish("Stopped");
    if (out.stopped === "timeout") {
      return await finish(
        `The connector did not finish within ${deps.config.syncTimeoutSeconds} s and was stopped`,
      );
    }
    if (out.code !== 0 || traceError) {
      const why = traceError ?? (out.stderr.trim().split("\n").slice(-3).join(" ") || "no error message");
      return await finish(`Connector read exited with code ${out.code}: ${why}`);
    }
    await writer.commit(undefined, { final: true });
    return await finish();
  } finally {
    await client.close().catch(() => {});
  }
}
