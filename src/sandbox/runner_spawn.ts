/**
 * How a Functions runner process is started (a `deno run` of runner_main.ts with its own heap limit, or the
 * single executable re-run as a runner), and what the runner code reads of a process: its resident memory
 * and a thread's nice value.
 */
import { RUNNER_COMMAND } from "./runner_command.ts";

/** Nice value of a penalised runner: it gets a core only when nothing at normal priority wants it. */
export const PENALTY_NICE = 19;

export function spawnCommand(token: string, memoryMb: number): Deno.CommandOptions & { cmd: string } {
  const exec = Deno.execPath();
  const v8 = `--max-old-space-size=${memoryMb}`;
  if (/^deno(\.exe)?$/.test(exec.split(/[\\/]/).pop() ?? "")) {
    const dir = new URL(".", import.meta.url);
    return {
      cmd: exec,
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        `--allow-read=${decodeURIComponent(dir.pathname)}`,
        "--unstable-worker-options",
        `--v8-flags=${v8}`,
        new URL("./runner_main.ts", import.meta.url).href,
        token,
      ],
    };
  }
  // The single executable (deno compile): main.ts hands RUNNER_COMMAND to runSandboxRunner().
  return { cmd: exec, args: [RUNNER_COMMAND, token], env: { DENO_V8_FLAGS: v8 } };
}

/** This process's resident memory, bytes; null where it cannot be read. */
export function residentMemory(): number | null {
  try {
    return Deno.memoryUsage().rss;
  } catch {
    return null;
  }
}

/** Nice value of a thread (or of a process's main thread), from /proc. */
export async function niceOf(tid: number | string, pid: number | string = tid): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/task/${tid}/stat`);
  // Fields after the command name (which may hold spaces) start at field 3; nice is field 19.
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}
