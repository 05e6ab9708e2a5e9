/**
 * The Functions runner inside the server process, for runtimes that grant no `--allow-run` (Deno Deploy,
 * src/runtime/profile.ts). It is the runner process's own loop (runner_main.ts) on in-memory streams
 * instead of a child's stdin and stdout, so RunnerProcess talks to it exactly as to a child: the same
 * frames, the same permissionless Worker per workspace, the same time limit (a call that never yields is
 * stopped by terminating its Worker). What it cannot give is a heap of its own: V8 in Deno has no per-Worker
 * heap limit, and a Worker that exhausts the isolate's heap ends the whole server. See runner_process.ts for
 * the resident-memory check that replaces the process ceiling here.
 */
import { runSandboxRunner } from "./runner_main.ts";

/** The parts of a child process RunnerProcess uses. */
export interface RunnerChild {
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<Deno.CommandStatus>;
  /** 0 for a runner inside this process. */
  readonly pid: number;
  kill(signal?: Deno.Signal): void;
}

/** Starts the runner loop in this process; `token` prefixes its frames as a child's would be. */
export function startInProcessRunner(token: string): RunnerChild {
  let toRunner!: ReadableStreamDefaultController<Uint8Array>;
  let fromRunner!: ReadableStreamDefaultController<Uint8Array>;
  let errors!: ReadableStreamDefaultController<Uint8Array>;
  const { promise: status, resolve } = Promise.withResolvers<Deno.CommandStatus>();
  let ended = false;

  function end(code: number, signal: Deno.Signal | null, why?: string) {
    if (ended) return;
    ended = true;
    if (why) errors.enqueue(new TextEncoder().encode(why));
    for (const c of [fromRunner, errors]) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    resolve({ success: code === 0, code, signal });
  }

  const input = new ReadableStream<Uint8Array>({ start: (c) => void (toRunner = c) });
  const stdout = new ReadableStream<Uint8Array>({ start: (c) => void (fromRunner = c) });
  const stderr = new ReadableStream<Uint8Array>({ start: (c) => void (errors = c) });
  const output = new WritableStream<Uint8Array>({
    write(chunk) {
      if (ended) throw new Error("the function runner has stopped");
      fromRunner.enqueue(chunk);
    },
  });
  const stdin = new WritableStream<Uint8Array>({
    write(chunk) {
      if (!ended) toRunner.enqueue(chunk);
    },
    close() {
      if (!ended) toRunner.close();
    },
  });

  // The loop ends when its input closes (the host let it go) or errors (a kill): it then terminates its
  // Worker and clears its timers before it reports the exit.
  runSandboxRunner([token], {
    readable: input,
    writable: output,
    exit: (code) => end(code, null),
  }).then(
    () => end(0, null),
    (e) => end(1, null, `the function runner failed: ${(e as Error)?.message ?? e}`),
  );

  return {
    stdin,
    stdout,
    stderr,
    status,
    pid: 0,
    kill(signal: Deno.Signal = "SIGKILL") {
      if (ended) return;
      try {
        toRunner.error(new Error(`killed (${signal})`));
      } catch {
        // the input was already closed: the loop is ending on its own
      }
      end(137, signal);
    },
  };
}
