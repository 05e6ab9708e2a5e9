/**
 * Runs the S3 part of `deno task bench warehouse` (bench/_s3_files.ts) in a process of its own, resolved
 * through tests/deno.lock: it starts s3rver, a test-only package that must stay out of deno.lock
 * (tests/cli/lockfile_test.ts), and `deno task bench` runs without that lockfile.
 */
const files = new URL("./_s3_files.ts", import.meta.url).pathname;
const lock = new URL("../tests/deno.lock", import.meta.url).pathname;

/**
 * S3: a 10,000-event batch file through the driver vs a raw PUT of the same bytes. The child makes its
 * events with bench/_warehouse_events.ts, as the caller does, so the caller's generator is not used.
 */
export async function benchS3(_makeEvents?: unknown): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--lock=${lock}`, files],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  if (code !== 0) throw new Error(`bench/_s3_files.ts exited with code ${code}`);
}
