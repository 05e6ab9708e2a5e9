/**
 * One Functions runner process, seen from the server. Why a process and not only a Worker: V8 has no
 * per-Worker heap limit in Deno, and an isolate that reaches the process heap limit aborts the whole
 * process (checked: "Fatal JavaScript out of memory" kills `deno`). In a child process with its own
 * `--max-old-space-size`, a memory bomb kills only the child; ArrayBuffers live outside the V8 heap,
 * so a watchdog also kills the child when its resident memory passes a ceiling. The server sees the
 * exit, fails the calls in flight, and the next call starts a fresh process.
 */
import type { Logger } from "../log.ts";
import {
  type BatchItem,
  batchItemsJson,
  type BridgeOp,
  type ChainFunctionRef,
  type ChainOutcome,
  type FunctionLog,
  type HostMessage,
  LineSplitter,
  type RunnerMessage,
} from "./protocol.ts";
import { residentMemory, spawnCommand } from "./runner_spawn.ts";
import { type RunnerChild, startInProcessRunner } from "./in_process_runner.ts";

/** What the server does for an event's `ctx.fetch` / `ctx.store` / `ctx.getWarehouse` calls. */
export type BridgeHandler = (
  op: BridgeOp,
  args: unknown[],
) => Promise<{ value?: unknown; error?: string; log?: FunctionLog }>;

export interface RunnerOptions {
  /** V8 heap limit of the process, MB. */
  memoryMb: number;
  /** Resident-memory ceiling, MB: the watchdog kills the process above it. */
  rssLimitMb: number;
  log: Logger;
  label: string;
  /** Start at the lowest CPU priority (the workspace is penalised, see fairness.ts). */
  niced?: boolean;
  /**
   * A call never yielded: it spun a core for a while (`hot`), or until its time limit and the runner
   * stopped it (`stuck`).
   */
  onStuck?: (how: "hot" | "stuck") => void;
  /**
   * Run the runner loop inside this process (in_process_runner.ts) instead of a child: for runtimes that
   * grant no subprocess (Deno Deploy). The heap limit does not apply there; `memoryMb` is then how much
   * this process's resident memory may grow over what it was when the runner started.
   */
  inProcess?: boolean;
}

/** One chain on a batch of events; each event has its own bridge (its workspace store, ...). */
export interface BatchRequest {
  functions: { id: string; hash: string; code: string }[];
  items: BatchItem[];
  /** Performs a `ctx` call of event `i` (made once an event calls out, not for every event). */
  bridge: (i: number, op: BridgeOp, args: unknown[]) => ReturnType<BridgeHandler>;
  /** Limit of one function call on one event, ms. */
  timeoutMs: number;
}

interface InFlight {
  req: BatchRequest;
  /** The items' text (batchItemsJson; kept for a resend with code). */
  itemsJson: string;
  outcomes: (ChainOutcome | undefined)[];
  left: number;
  resolve(o: ChainOutcome[]): void;
  deadline: number;
}

export { niceOf, PENALTY_NICE } from "./runner_spawn.ts";
import { niceOf, PENALTY_NICE } from "./runner_spawn.ts";

const WATCHDOG_MS = 50;
const PAGE_SIZE = 4096;
/** A started runner process. */
export class RunnerProcess {
  readonly #opts: RunnerOptions;
  readonly #child: RunnerChild;
  /** In-process runner: this process's resident memory when the runner last had no call in flight. */
  #rssBase = 0;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #token = crypto.randomUUID().replaceAll("-", "");
  readonly #inflight = new Map<number, InFlight>();
  readonly #knownHashes = new Set<string>();
  readonly #watchdog: ReturnType<typeof setInterval>;
  #nextId = 1;
  #killedFor: string | null = null;
  #stderrTail = "";
  #exited = false;
  #ready = false;
  #niced = false;
  lastUsed = Date.now();
  readonly exited: Promise<void>;

  constructor(opts: RunnerOptions) {
    this.#opts = opts;
    if (opts.inProcess) {
      this.#rssBase = residentMemory() ?? 0;
      this.#child = startInProcessRunner(this.#token);
    } else {
      const { cmd, ...spawn } = spawnCommand(this.#token, opts.memoryMb);
      const options: Deno.CommandOptions = {
        ...spawn,
        clearEnv: true, // user code must never see the server's environment, even by escaping the worker
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      };
      let child: Deno.ChildProcess | null = null;
      if (opts.niced) {
        // Through nice(1): every thread the runner starts inherits the priority, none runs a moment without it.
        try {
          child = new Deno.Command("nice", {
            ...options,
            args: ["-n", String(PENALTY_NICE), cmd, ...(spawn.args as string[])],
          }).spawn();
          this.#niced = true;
        } catch {
          // no nice(1) here: the penalty is only the cap on batches in flight
        }
      }
      this.#child = child ?? new Deno.Command(cmd, options).spawn();
    }
    this.#writer = this.#child.stdin.getWriter();
    this.#watchdog = setInterval(() => this.#watch(), WATCHDOG_MS);
    this.#readStdout();
    const stderrDone = this.#readStderr();
    // The exit status can arrive before the last of stderr: read it all first (it tells an OOM apart).
    this.exited = this.#child.status.then(async (s) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([stderrDone, new Promise((r) => timer = setTimeout(r, 1000))]);
      clearTimeout(timer);
      this.#onExit(s);
    });
  }

  /** Calls in flight. */
  get busy(): number {
    return this.#inflight.size;
  }

  get alive(): boolean {
    return !this.#exited;
  }

  /** OS process id (benchmarks read its CPU time). */
  get pid(): number {
    return this.#child.pid;
  }

  /** The process runs at the penalty's priority (see fairness.ts). */
  get niced(): boolean {
    return this.#niced;
  }

  /**
   * Moves every thread of the process to the penalty's nice value (Linux sets priority per thread;
   * threads started later inherit it). Raising a nice value back needs privileges, so a runner stays
   * niced until it is replaced. False where renice(1) or /proc is missing.
   */
  async lowerPriority(): Promise<boolean> {
    if (this.#exited) return false;
    try {
      const tids: string[] = [];
      for await (const e of Deno.readDir(`/proc/${this.#child.pid}/task`)) tids.push(e.name);
      const r = await new Deno.Command("renice", {
        args: ["-n", String(PENALTY_NICE), "-p", ...tids],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      // A thread that ended between the listing and renice makes it exit 1: check the main thread itself.
      if (r.success || (await niceOf(this.#child.pid)) >= PENALTY_NICE) this.#niced = true;
      return this.#niced;
    } catch {
      return false;
    }
  }

  /** The process ended before it said it was ready: nothing user code did can have caused that. */
  get failedToStart(): boolean {
    return this.#exited && !this.#ready;
  }

  /**
   * Runs a chain on a batch of events; resolves with their outcomes in order (a timeout or a crash is an
   * outcome too, never a throw: a crash fails only the events whose outcomes had not arrived).
   */
  runBatch(req: BatchRequest): Promise<ChainOutcome[]> {
    this.lastUsed = Date.now();
    if (this.#exited) {
      return Promise.resolve(req.items.map(() => crashOutcome(req, "the function runner is not running")));
    }
    return new Promise((resolve) => {
      const id = this.#nextId++;
      const itemsJson = batchItemsJson(req.items);
      const f: InFlight = {
        itemsJson,
        req,
        outcomes: new Array(req.items.length),
        left: req.items.length,
        resolve,
        deadline: 0,
      };
      this.#extend(f);
      this.#inflight.set(id, f);
      this.#sendRun(id, f, false);
    });
  }

  // The runner stops overrunning calls itself; this backstop (no outcome for a long while) is for a runner
  // that hangs.
  #extend(f: InFlight) {
    f.deadline = Date.now() + f.req.timeoutMs * (f.req.functions.length + 1) * 4 + 5000;
  }

  /** Stops the process (closing stdin ends it; a kill makes sure). */
  async close(): Promise<void> {
    if (!this.#exited) {
      await this.#writer.close().catch(() => {});
      const timer = setTimeout(() => this.#kill("closing"), 2000);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  #sendRun(id: number, f: InFlight, withAllCode: boolean) {
    const req = f.req;
    const functions: ChainFunctionRef[] = req.functions.map((f) => {
      const send = withAllCode || !this.#knownHashes.has(f.hash);
      this.#knownHashes.add(f.hash);
      return send ? f : { id: f.id, hash: f.hash };
    });
    const header: HostMessage = { t: "run", id, functions, n: req.items.length, timeoutMs: req.timeoutMs };
    this.#sendText(JSON.stringify(header) + "\n" + f.itemsJson + "\n");
  }

  #send(msg: HostMessage) {
    this.#sendText(JSON.stringify(msg) + "\n");
  }

  #sendText(text: string) {
    if (this.#exited) return;
    this.#writer.write(new TextEncoder().encode(text)).catch(() => {});
  }

  async #readStdout() {
    const lines = new LineSplitter();
    const onLine = (line: string) => {
      // Anything without the token is user code printing to stdout: not a frame, ignored.
      if (line.startsWith(this.#token)) this.#onMessage(JSON.parse(line.slice(this.#token.length)));
    };
    try {
      for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
        lines.push(chunk, onLine);
      }
    } catch {
      // the process ended; #onExit fails what is in flight
    }
  }

  async #readStderr() {
    try {
      for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderrTail = (this.#stderrTail + chunk).slice(-4000);
      }
    } catch {
      // ignore
    }
  }

  #onMessage(msg: RunnerMessage) {
    if (msg.t === "ready") {
      this.#ready = true;
      return;
    }
    const f = this.#inflight.get(msg.id);
    if (!f) return;
    if (msg.t === "done") {
      for (const [i, outcome] of msg.results) {
        // The index comes from the worker, where user code runs: only an event of this call counts.
        if (!Number.isInteger(i) || i < 0 || i >= f.outcomes.length || f.outcomes[i] !== undefined) continue;
        f.outcomes[i] = outcome;
        f.left--;
      }
      this.#extend(f);
      if (f.left === 0) {
        this.#inflight.delete(msg.id);
        f.resolve(f.outcomes as ChainOutcome[]);
      }
    } else if (msg.t === "stuck" || msg.t === "hot") {
      this.#opts.onStuck?.(msg.t);
    } else if (msg.t === "need-code") {
      this.#sendRun(msg.id, f, true);
    } else if (msg.t === "bridge") {
      if (!f.req.items[msg.i]) return;
      f.req.bridge(msg.i, msg.op, msg.args).then(
        (r) => this.#send({ t: "bridge-reply", bid: msg.bid, ok: r.error === undefined, ...r }),
        (e) => this.#send({ t: "bridge-reply", bid: msg.bid, ok: false, error: (e as Error).message }),
      );
    }
  }

  async #watch() {
    if (this.#exited) return;
    const now = Date.now();
    for (const f of this.#inflight.values()) {
      if (now > f.deadline) return this.#kill("a call did not finish in time and the runner did not stop it");
    }
    if (this.#opts.inProcess) return this.#watchInProcess();
    try {
      const statm = await Deno.readTextFile(`/proc/${this.#child.pid}/statm`);
      const rss = Number(statm.split(" ")[1]) * PAGE_SIZE;
      if (rss > this.#opts.rssLimitMb * 1024 * 1024) {
        this.#kill(
          `memory: resident size ${Math.round(rss / 1048576)} MB passed ${this.#opts.rssLimitMb} MB`,
        );
      }
    } catch {
      // not Linux, or the process just ended: the V8 heap limit still applies
    }
  }

  // The whole process's resident memory (Workers' heaps and ArrayBuffers included) cannot be split by
  // Worker: growth past the ceiling while this runner's calls are in flight stops its Worker, and the
  // baseline moves whenever it has none (so other workspaces' Workers starting earlier are not counted).
  // Allocation faster than a 50 ms look can still exhaust the heap and end the process.
  #watchInProcess() {
    const rss = residentMemory();
    if (rss === null) return;
    if (this.#inflight.size === 0) {
      this.#rssBase = rss;
      return;
    }
    const grown = rss - this.#rssBase;
    const limit = this.#opts.memoryMb;
    if (grown > limit * 1024 * 1024) {
      this.#kill(
        `memory: the server's resident size grew ${Math.round(grown / 1048576)} MB, over ${limit} MB`,
      );
    }
  }

  #kill(reason: string) {
    if (this.#exited || this.#killedFor) return;
    this.#killedFor = reason;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  #onExit(status: Deno.CommandStatus) {
    this.#exited = true;
    clearInterval(this.#watchdog);
    const oom = /out of memory|heap limit/i.test(this.#stderrTail);
    const why = this.#killedFor ??
      (oom ? `out of memory (heap limit ${this.#opts.memoryMb} MB)` : `exit code ${status.code}`);
    if (this.#inflight.size) {
      this.#opts.log.warn("function runner stopped", {
        runner: this.#opts.label,
        reason: why,
        stderr: this.#stderrTail.slice(-1000),
      });
    }
    for (const f of this.#inflight.values()) {
      const message = `the function runner stopped: ${why}`;
      f.resolve(Array.from(f.req.items, (_, i) => f.outcomes[i] ?? crashOutcome(f.req, message)));
    }
    this.#inflight.clear();
  }
}

/** The outcome of an event the sandbox could not run (its runner stopped, the sandbox closed). */
export function crashOutcome(req: BatchRequest, message: string): ChainOutcome {
  const functionId = req.functions[0]?.id ?? "";
  return {
    events: [],
    dropped: true,
    logs: [{ level: "error", type: "log", functionId, message, timestamp: new Date().toISOString() }],
    error: { functionId, name: "SandboxError", message },
    retry: { message, drop: true },
    execLog: [],
  };
}
