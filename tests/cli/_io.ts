import type { CliIo } from "../../src/cli/io.ts";

/** A CliIo that keeps what a command printed, for in-process runCli() tests. */
export function memoryIo(stdin = ""): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (line) => void out.push(line),
    stderr: (line) => void err.push(line),
    readStdin: () => Promise.resolve(stdin),
    promptSecret: () => Promise.resolve(null),
  };
}
