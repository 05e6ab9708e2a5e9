/**
 * Runs one connector command (spec, check, discover, read) and hands each stdout message to a callback.
 * The config, catalog and state files are written to a private temp dir (0700, files 0600) that is
 * removed when the command ends, whatever the outcome. A time limit or an abort signal kills the
 * process (and its Docker container); stderr is kept (masked) for the error message.
 */
import type { Launch } from "./launcher.ts";
import { type ConnectorMessage, maskSecrets, parseMessage } from "./protocol.ts";

export type ConnectorCommand = "spec" | "check" | "discover" | "read";

export interface RunOptions {
  launch: Launch;
  command: ConnectorCommand;
  /** Files to write: config.json, catalog.json, state.json (when present). */
  files?: { config?: unknown; catalog?: unknown; state?: unknown };
  timeoutMs: number;
  signal?: AbortSignal;
  /** Secret values masked in whatever is kept of the output. */
  secrets?: readonly string[];
  /** Called in order for every message; awaited (back-pressure: the connector waits while it runs). */
  onMessage(m: ConnectorMessage): void | Promise<void>;
}

export interface RunOutcome {
  /** Exit code (null when killed). */
  code: number | null;
  /** Why it was stopped early, if it was. */
  stopped?: "timeout" | "aborted";
  /** The last lines of stderr, masked. */
  stderr: string;
}

const STDERR_KEEP = 4000;

/** Runs the command to the end (or the limit). Throws only when the program cannot be started. */
export async function runConnector(o: RunOptions): Promise<RunOutcome> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-sync-" });
  try {
    await Deno.chmod(dir, 0o700);
    const names: Record<string, string> = {};
    for (const [k, value] of Object.entries(o.files ?? {})) {
      if (value === undefined || value === null) continue;
      names[k] = `${k}.json`;
      await Deno.writeTextFile(`${dir}/${k}.json`, JSON.stringify(value), { mode: 0o600 });
    }
    const { cmd, args, env } = o.launch.command(dir, (path) => {
      const a: string[] = [o.command];
      if (names.config) a.push("--config", path(names.config));
      if (names.catalog) a.push("--catalog", path(names.catalog));
      if (names.state) a.push("--state", path(names.state));
      return a;
    });
    const child = new Deno.Command(cmd, {
      args,
      env,
      clearEnv: true,
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stopped: RunOutcome["stopped"];
    const stop = (why: "timeout" | "aborted") => {
      if (stopped) return;
      stopped = why;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      if (o.launch.container) {
        new Deno.Command("docker", { args: ["kill", o.launch.container], stdout: "null", stderr: "null" })
          .output()
          .catch(() => {});
      }
      // A grandchild may still hold stdout open: stop reading instead of waiting for EOF.
      reader.cancel().catch(() => {});
    };
    const timer = setTimeout(() => stop("timeout"), o.timeoutMs);
    const onAbort = () => stop("aborted");
    if (o.signal?.aborted) queueMicrotask(onAbort);
    o.signal?.addEventListener("abort", onAbort);
    let stderr = "";
    const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write(chunk) {
          stderr = (stderr + chunk).slice(-STDERR_KEEP * 2);
        },
      }),
    ).catch(() => {});
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let buf = "";
      while (true) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) break;
        const lines = (buf + value).split("\n");
        buf = lines.pop()!;
        for (const line of lines) {
          const m = parseMessage(line);
          if (!m || stopped) continue;
          // Most messages (records) are handled synchronously: await only a real promise.
          const pending = o.onMessage(m);
          if (pending) await pending;
        }
      }
      const last = parseMessage(buf);
      if (last && !stopped) await o.onMessage(last);
    } catch (e) {
      stop("aborted");
      throw e;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (!stopped) reader.releaseLock();
    }
    const status = await child.status;
    // stderr ends with the process unless a grandchild still holds it: wait a moment, not forever.
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([stderrDone, new Promise((r) => grace = setTimeout(r, 200))]);
    clearTimeout(grace);
    return {
      code: stopped ? null : status.code,
      ...(stopped ? { stopped } : {}),
      stderr: maskSecrets(stderr.slice(-STDERR_KEEP), o.secrets ?? []),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
