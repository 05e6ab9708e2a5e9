/** Where CLI commands write and read; tests pass their own. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** All of stdin (for --password-stdin). */
  readStdin(): Promise<string>;
  /** Asks for a secret without echo; null when stdin is not a terminal. */
  promptSecret(question: string): Promise<string | null>;
}

/** Thrown for bad usage: main prints the one line and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

async function readAll(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

async function promptSecret(question: string): Promise<string | null> {
  if (!Deno.stdin.isTerminal()) return null;
  const enc = new TextEncoder();
  await Deno.stderr.write(enc.encode(question));
  Deno.stdin.setRaw(true);
  const buf = new Uint8Array(1);
  let out = "";
  try {
    while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null || buf[0] === 13 || buf[0] === 10) break;
      if (buf[0] === 3) throw new UsageError("cancelled");
      if (buf[0] === 127) out = out.slice(0, -1);
      else out += String.fromCharCode(buf[0]);
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(enc.encode("\n"));
  }
  return out;
}

export const processIo: CliIo = {
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
  readStdin: readAll,
  promptSecret,
};
