/**
 * The Functions sandbox as the rest of Sluice sees it: `runChain()` runs a connection's functions on
 * one event. Each workspace gets its own runner process (so one workspace's function cannot see another
 * workspace's data, globals or module cache, and a crash takes down only that workspace's calls); the
 * processes are started on demand, closed when idle, and capped in number (least recently used first).
 * A workspace whose calls spin until their time limit is penalised (fairness.ts).
 */
import { sha256Hex } from "../auth/crypto.ts";
import type { GeoLookup } from "./event_context.ts";
import { batchSize, quickBatch } from "./batch_size.ts";
import { CpuFairness, PENALTY_MS } from "./fairness.ts";
import { parseTtl } from "./function_store.ts";
import type { FetchRequest } from "./guarded_fetch.ts";
import type { BridgeOp, ChainOutcome, EventContextData } from "./protocol.ts";
import type { BridgeHandler, RunnerProcess } from "./runner_process.ts";
import { NO_WORKERS_MESSAGE } from "../runtime/profile.ts";
import type { ChainRun, SandboxOptions } from "./sandbox_options.ts";

export type { ChainRun, SandboxOptions, WarehouseQueries } from "./sandbox_options.ts";
export { sandboxOptions } from "./sandbox_options.ts";

type OptionalKeys = "resolve" | "warehouses" | "penaltyMs" | "penaltySlots" | "clock" | "onBatch";

type HashedFunction = { id: string; code: string; hash: string };

/**
 * The runner processes, ctx.ua/ctx.geo and ctx.fetch, loaded with the first chain that has functions.
 * Not a literal, for the reason given at SERVE_MODULE in src/cli/run.ts; `deno compile` embeds it through
 * `--include`.
 */
const ENGINE_MODULE = "./sandbox_engine.ts";
type Engine = typeof import("./sandbox_engine.ts");
let engineLoading: Promise<Engine> | null = null;

function loadEngine(): Promise<Engine> {
  engineLoading ??= (import(ENGINE_MODULE) as Promise<Engine>).catch((e) => {
    engineLoading = null; // a failed load is tried again by the next chain
    throw e;
  });
  return engineLoading;
}

/** Runs user functions in per-workspace runner processes. */
export class Sandbox {
  readonly options:
    & Required<Omit<SandboxOptions, OptionalKeys>>
    & Pick<SandboxOptions, OptionalKeys>;
  readonly #fairness: CpuFairness;
  #geo: Promise<GeoLookup | null> | null = null;
  #engine: Engine | null = null;
  readonly #runners = new Map<string, RunnerProcess>();
  readonly #hashes = new Map<string, string>();
  /** By chain (workspace, limit, functions): whether its last batch was quick (batch_size.ts). */
  readonly #quick = new Map<string, boolean>();
  readonly #renicing = new Set<RunnerProcess>();
  // Started with the first runner: a sandbox that never runs a function (a CLI command, most test apps)
  // holds no timer.
  #sweeper: ReturnType<typeof setInterval> | null = null;
  #closed = false;

  constructor(options: SandboxOptions) {
    this.options = {
      rssLimitMb: options.memoryMb * 2 + 192,
      fetchTimeoutMs: 5000,
      maxProcesses: 16,
      backend: "process",
      idleMs: 60_000,
      geoipDatabases: [],
      ...options,
    };
    this.#fairness = new CpuFairness({
      penaltyMs: options.penaltyMs,
      slots: options.penaltySlots,
      clock: options.clock,
      onBatch: options.onBatch,
    });
  }

  /** Whether `workspaceId` is penalised for calls that spun until their limit (fairness.ts). */
  penalised(workspaceId: string): boolean {
    return this.#fairness.penalised(workspaceId);
  }

  /** Runs `run.functions` in order on `run.event`. Never throws for anything user code does. */
  async runChain(run: ChainRun): Promise<ChainOutcome> {
    return (await this.runChains([run]))[0];
  }

  /**
   * Runs many chains (usually one connection's events of a claimed batch); outcomes come back in the
   * order of `runs`, one per run, and one run's failure never fails another's. Runs of the same
   * workspace and chain travel to the runner as batches (one message, many events); at most
   * `concurrency` batches are in flight at once, and a group is split into that many batches so
   * functions that wait (on fetch) still overlap, unless the chain's last batch was quick (batch_size.ts).
   */
  async runChains(runs: ChainRun[], concurrency = 16): Promise<ChainOutcome[]> {
    if (this.#closed) throw new Error("Cannot run functions: the sandbox is closed");
    if (this.options.backend === "none") return runs.map(unavailableOutcome);
    const out: ChainOutcome[] = new Array(runs.length);
    type Group = { key: string; runs: ChainRun[]; at: number[]; functions: HashedFunction[] };
    const groups = new Map<string, Group>();
    let last: { run: ChainRun; group: Group } | null = null;
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i];
      if (run.functions.length === 0) {
        out[i] = { events: [run.event], dropped: false, logs: [], execLog: [] };
        continue;
      }
      // A connection's runs share their functions array (run_functions.ts): the group of the run before.
      if (
        last && last.run.functions === run.functions && last.run.workspaceId === run.workspaceId &&
        last.run.timeoutMs === run.timeoutMs
      ) {
        last.group.runs.push(run);
        last.group.at.push(i);
        continue;
      }
      // Known code hashes synchronously: a claimed batch repeats the same few functions many times.
      const known = run.functions.map((f) => this.#hashes.get(f.code));
      const functions = known.every((h) => h !== undefined)
        ? run.functions.map((f, k) => ({ ...f, hash: known[k]! }))
        : await Promise.all(run.functions.map(async (f) => ({ ...f, hash: await this.#hash(f.code) })));
      const key = `${run.workspaceId}\n${run.timeoutMs ?? ""}\n${
        functions.map((f) => `${f.id}:${f.hash}`).join(",")
      }`;
      let g = groups.get(key);
      if (!g) groups.set(key, g = { key, runs: [], at: [], functions });
      g.runs.push(run);
      g.at.push(i);
      last = { run, group: g };
    }
    const batches: Group[] = [];
    const penalised: typeof batches = [];
    const lanes = Math.max(1, concurrency);
    for (const g of groups.values()) {
      // A penalised workspace runs one batch at a time: splitting would gain it nothing. Its batches go
      // last, so lanes waiting for its turn never hold back other workspaces' batches of this call.
      const slow = this.#fairness.penalised(g.runs[0].workspaceId);
      const size = batchSize(g.runs.length, lanes, slow || this.#quick.get(g.key) === true);
      for (let k = 0; k < g.runs.length; k += size) {
        (slow ? penalised : batches).push({
          key: g.key,
          runs: g.runs.slice(k, k + size),
          at: g.at.slice(k, k + size),
          functions: g.functions,
        });
      }
    }
    batches.push(...penalised);
    if (batches.length === 0) return out;
    const engine = this.#engine ??= await loadEngine();
    const { crashOutcome } = engine;
    const geo = await this.#geoLookup(engine);
    let next = 0;
    const lane = async () => {
      while (next < batches.length) {
        const b = batches[next++];
        const first = b.runs[0];
        let waited = false;
        const handlers: BridgeHandler[] = [];
        const req = {
          functions: b.functions,
          items: b.runs.map((r) => ({
            event: r.event,
            eventJson: r.eventJson,
            ctx: this.#ctxOf(engine, r, geo),
          })),
          bridge: (i: number, op: BridgeOp, args: unknown[]) => {
            waited = true;
            return (handlers[i] ??= this.#bridge(engine, b.runs[i]))(op, args);
          },
          timeoutMs: first.timeoutMs ?? this.options.timeoutMs,
        };
        const end = await this.#fairness.admit(first.workspaceId);
        let outcomes: ChainOutcome[];
        try {
          if (this.#closed) {
            // Closed while this batch waited for its turn: start no runner again.
            outcomes = req.items.map(() => crashOutcome(req, "the sandbox closed before the call ran"));
          } else {
            const runner = this.#runnerFor(engine, first.workspaceId);
            outcomes = await runner.runBatch(req);
            // A runner that never started (a transient spawn failure) ran nothing: try once more on a new one.
            if (runner.failedToStart) {
              outcomes = await this.#runnerFor(engine, first.workspaceId).runBatch(req);
            }
          }
        } finally {
          end();
        }
        for (let k = 0; k < outcomes.length; k++) out[b.at[k]] = outcomes[k];
        if (this.#quick.size >= 1000) this.#quick.clear();
        this.#quick.set(b.key, quickBatch(outcomes, waited));
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, batches.length) }, lane));
    return out;
  }

  /** Number of runner processes alive (tests, metrics). */
  get processCount(): number {
    return [...this.#runners.values()].filter((r) => r.alive).length;
  }

  /** Process ids of the live runners (benchmarks). */
  get runnerPids(): number[] {
    return [...this.#runners.values()].filter((r) => r.alive).map((r) => r.pid);
  }

  /** Stops every runner process. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    await Promise.all([...this.#runners.values()].map((r) => r.close()));
    this.#runners.clear();
    await this.options.warehouses?.close();
  }

  async #hash(code: string): Promise<string> {
    let h = this.#hashes.get(code);
    if (!h) {
      h = await sha256Hex(code);
      if (this.#hashes.size > 1000) this.#hashes.clear();
      this.#hashes.set(code, h);
    }
    return h;
  }

  #runnerFor({ RunnerProcess }: Engine, workspaceId: string): RunnerProcess {
    const existing = this.#runners.get(workspaceId);
    const penalised = this.#fairness.penalised(workspaceId);
    // A niced runner whose penalty is over is replaced once idle (its priority cannot be raised back).
    if (existing?.alive && !(existing.niced && !penalised && existing.busy === 0)) return existing;
    if (existing) {
      this.#runners.delete(workspaceId);
      if (existing.alive) existing.close();
    }
    if (this.#runners.size >= this.options.maxProcesses) {
      const idle = [...this.#runners.entries()].filter(([, r]) => r.busy === 0)
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      // Over the cap with every runner busy: go over it rather than fail or stall a workspace.
      if (idle) {
        this.#runners.delete(idle[0]);
        idle[1].close();
      }
    }
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(1000, this.options.idleMs / 2));
    const runner = new RunnerProcess({
      memoryMb: this.options.memoryMb,
      rssLimitMb: this.options.rssLimitMb,
      log: this.options.log,
      label: workspaceId,
      niced: penalised,
      onStuck: (how) => this.#onStuck(workspaceId, runner, how),
      inProcess: this.options.backend === "worker",
    });
    this.#runners.set(workspaceId, runner);
    return runner;
  }

  #onStuck(workspaceId: string, runner: RunnerProcess, how: "hot" | "stuck") {
    const was = this.#fairness.penalised(workspaceId);
    this.#fairness.stuck(workspaceId);
    if (!was) {
      this.options.log.warn("function calls never yielded: workspace penalised", {
        workspace: workspaceId,
        cause: how === "hot" ? "a call spun a core for a second" : "a call spun until its time limit",
        penaltyMs: this.options.penaltyMs ?? PENALTY_MS,
      });
    }
    if (!runner.niced && runner.alive && !this.#renicing.has(runner)) {
      this.#renicing.add(runner);
      runner.lowerPriority().then((ok) => {
        this.#renicing.delete(runner);
        if (!ok) {
          this.options.log.warn("cannot lower the priority of a function runner", { workspace: workspaceId });
        }
      });
    }
  }

  #sweep() {
    const now = Date.now();
    for (const [ws, r] of this.#runners) {
      if (!r.alive || (r.busy === 0 && now - r.lastUsed > this.options.idleMs)) {
        this.#runners.delete(ws);
        r.close();
      }
    }
  }

  // Opened on first use, once; a file that cannot be read is logged once and geo stays off.
  #geoLookup({ GeoLookup }: Engine): Promise<GeoLookup | null> {
    const paths = this.options.geoipDatabases;
    this.#geo ??= paths.length === 0 ? Promise.resolve(null) : GeoLookup.open(paths).catch((e) => {
      this.options.log.error("ctx.geo is off", { error: (e as Error).message });
      return null;
    });
    return this.#geo;
  }

  /** The run's ctx plus what the server derives from its event: `ua` and `geo`, as Jitsu fills them. */
  #ctxOf({ parseUserAgent }: Engine, run: ChainRun, geoLookup: GeoLookup | null): EventContextData {
    const context = (run.event.context ?? {}) as Record<string, unknown>;
    const ua = parseUserAgent(context.userAgent);
    const geo = geoLookup?.lookup(context.ip ?? run.event.requestIp);
    if (!ua && !geo) return run.ctx;
    return {
      ...run.ctx,
      ...(ua ? { ua: ua as unknown as Record<string, unknown> } : {}),
      ...(geo ? { geo: geo as unknown as Record<string, unknown> } : {}),
    };
  }

  #bridge({ guardedFetch }: Engine, run: ChainRun): BridgeHandler {
    const store = run.store;
    const warehouses = this.options.warehouses;
    // 90% of the call's limit: the function sees the query's error before its own time is up.
    const queryTimeoutMs = Math.floor((run.timeoutMs ?? this.options.timeoutMs) * 0.9);
    const opts = {
      allowPrivateNetwork: this.options.allowPrivateNetwork,
      timeoutMs: this.options.fetchTimeoutMs,
      resolve: this.options.resolve,
    };
    return async function handle(op: BridgeOp, args: unknown[]) {
      try {
        switch (op) {
          case "fetch": {
            const r = await guardedFetch(
              String(args[0]),
              (args[1] ?? {}) as FetchRequest,
              String(args[2]),
              opts,
            );
            return r.reply ? { value: r.reply, log: r.log } : { error: r.error, log: r.log };
          }
          case "store.get":
            return { value: await store.get(String(args[0])) };
          case "store.set":
            await store.set(String(args[0]), args[1], parseTtl(args[2]));
            return { value: undefined };
          case "store.del":
            await store.del(String(args[0]));
            return { value: undefined };
          case "store.ttl":
            return { value: await store.ttl(String(args[0])) };
          case "store.getWithTTL":
            return { value: await store.getWithTTL(String(args[0])) };
          case "warehouse.query":
            if (!warehouses) return { error: "Cannot query warehouse: warehouses are not available here" };
            return {
              value: await warehouses.query(
                run.workspaceId,
                String(args[0]),
                String(args[1]),
                args[2],
                queryTimeoutMs,
              ),
            };
        }
        return { error: `unknown operation ${op}` };
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
  }
}

/**
 * Without a place to run functions, an event of a chain fails loudly (error entry, retries, dead letter)
 * rather than passing through untransformed; connections with functions are refused before that
 * (src/services/resources.ts).
 */
function unavailableOutcome(run: ChainRun): ChainOutcome {
  if (run.functions.length === 0) return { events: [run.event], dropped: false, logs: [], execLog: [] };
  const functionId = run.functions[0].id;
  const message = NO_WORKERS_MESSAGE;
  return {
    events: [],
    dropped: true,
    logs: [{ level: "error", type: "log", functionId, message, timestamp: new Date().toISOString() }],
    error: { functionId, name: "SandboxError", message },
    retry: { message, drop: true },
    execLog: [],
  };
}
