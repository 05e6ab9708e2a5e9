/** Runs `main.ts` exactly as the compiled binary runs it: `deno run --allow-all main.ts <args>`. */
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runSluice(
  args: string[],
  { env = {}, stdin }: { env?: Record<string, string>; stdin?: string } = {},
): Promise<RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

export interface ServerProcess {
  url: string;
  /** The child's process id (for /proc/<pid>/status). */
  pid: number;
  /** Everything the server wrote to stderr so far. */
  log(): string;
  /** Sends SIGTERM and waits; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/**
 * Starts `main.ts serve` on a free port and waits for its "listening" line. `fileLimit` runs it under
 * `ulimit -n` (soft and hard: Deno raises a soft limit to the hard one when it starts); `permissions`
 * replaces `--allow-all` (e.g. what Deno Deploy grants, tests/deploy/).
 */
export async function startSluice(
  env: Record<string, string>,
  { fileLimit, permissions = ["--allow-all"] }: { fileLimit?: number; permissions?: string[] } = {},
): Promise<ServerProcess> {
  const args = ["run", ...permissions, "--quiet", MAIN];
  const child = new Deno.Command(fileLimit === undefined ? Deno.execPath() : "bash", {
    args: fileLimit === undefined
      ? args
      : ["-c", `ulimit -n ${fileLimit} && exec "$0" "$@"`, Deno.execPath(), ...args],
    env: { NO_COLOR: "1", PORT: "0", HOST: "127.0.0.1", LOG_FORMAT: "json", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const { promise: listening, resolve, reject } = Promise.withResolvers<string>();
  (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      log += dec.decode(chunk, { stream: true });
      const m = /"msg":"Sluice is listening","url":"([^"]+)"/.exec(log);
      if (m) resolve(m[1]);
    }
    reject(new Error(`server exited before listening:\n${log}`));
  })();
  child.stdout.cancel();
  // A guard, not a timing assertion: a first start runs initdb, which took over 60 s on 2 cores while the
  // whole suite ran in parallel (bench/startup.ts measures start times).
  const timer = setTimeout(() => reject(new Error(`server did not start in 180 s:\n${log}`)), 180_000);
  const url = await listening.finally(() => clearTimeout(timer));
  return {
    url,
    pid: child.pid,
    log: () => log,
    async stop(signal: Deno.Signal = "SIGTERM") {
      child.kill(signal);
      return (await child.status).code;
    },
  };
}

/**
 * Runs `deno run -A <args>`, reads its stdout until `marker`, then SIGKILLs it: a crash at a chosen point
 * (the crash tests' children print the marker right where they want to die). Fails if the marker never came.
 */
export async function runUntilThenKill(args: string[], marker: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  try {
    while (!seen.includes(marker)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
  }
  if (!seen.includes(marker)) throw new Error(`the child never printed "${marker}"; it said: ${seen}`);
}
