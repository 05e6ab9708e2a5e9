/**
 * What a Sandbox is built from (its options, and how the server settings give them) and what it runs (a
 * chain on one event): the types the pipeline, the function-run API and the tests share.
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { type FunctionsBackend, functionsBackend } from "../runtime/profile.ts";
import type { BatchEvent } from "./fairness.ts";
import type { FunctionStore } from "./function_store.ts";
import type { EventContextData } from "./protocol.ts";

export interface SandboxOptions {
  /** Wall-clock limit of one function call, ms. */
  timeoutMs: number;
  /** V8 heap limit of a runner process, MB. */
  memoryMb: number;
  /** Resident-memory ceiling of a runner process, MB (ArrayBuffers are outside the V8 heap). */
  rssLimitMb?: number;
  allowPrivateNetwork: boolean;
  fetchTimeoutMs?: number;
  /** At most this many runner processes (one per active workspace). */
  maxProcesses?: number;
  /** A runner with nothing to do for this long is stopped. */
  idleMs?: number;
  log: Logger;
  /** Test seam for the SSRF guard's DNS lookups. */
  resolve?: (host: string) => Promise<string[]>;
  /** `.mmdb` files behind `ctx.geo` (GEOIP_DATABASE); none: `ctx.geo` is undefined. */
  geoipDatabases?: string[];
  /** What `ctx.getWarehouse(id).query()` runs on (warehouse_queries.ts); absent: refused. */
  warehouses?: WarehouseQueries;
  /** A workspace stays penalised this long after its last stuck call, ms (fairness.ts). */
  penaltyMs?: number;
  /** Batches of all penalised workspaces in flight at once (default: half the cores, at least 1). */
  penaltySlots?: number;
  /** Clock of the penalties. */
  clock?: Clock;
  /** Test seam: told of every batch start and end. */
  onBatch?: (e: BatchEvent) => void;
  /** Where functions run (src/runtime/profile.ts); default `process`. */
  backend?: FunctionsBackend;
}

/** Runs a function's SQL on a warehouse destination of its workspace (see warehouse_queries.ts). */
export interface WarehouseQueries {
  query(
    workspaceId: string,
    destinationId: string,
    sql: string,
    params: unknown,
    timeoutMs: number,
  ): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** One run of a chain on one event. */
export interface ChainRun {
  workspaceId: string;
  functions: { id: string; code: string }[];
  event: Record<string, unknown>;
  /** `event`'s JSON text, when the caller has it (the queued event's): sent to the runner as it is. */
  eventJson?: string;
  ctx: EventContextData;
  store: FunctionStore;
  /** Overrides the sandbox's per-call limit (function/run tests). */
  timeoutMs?: number;
}

/** Sandbox options from the server settings. */
export function sandboxOptions(config: Config, log: Logger): SandboxOptions {
  return {
    timeoutMs: config.functionsTimeoutMs,
    memoryMb: config.functionsMemoryMb,
    allowPrivateNetwork: config.functionsAllowPrivateNetwork,
    geoipDatabases: config.geoipDatabases,
    backend: functionsBackend(config),
    log,
  };
}
