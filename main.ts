/**
 * Sluice's composition root and the single executable's entry point: `sluice [command]`.
 * Reads the environment here and nowhere else; `serve` (the default) runs until SIGINT/SIGTERM.
 * The same executable re-runs itself as the Functions sandbox runner (a child process per workspace,
 * see src/sandbox/runner_process.ts), so the compiled binary needs no second file for it.
 */
import { runCli } from "./src/cli/run.ts";
import { RUNNER_COMMAND, runSandboxRunner } from "./src/sandbox/runner_main.ts";

if (import.meta.main) {
  if (Deno.args[0] === RUNNER_COMMAND) await runSandboxRunner(Deno.args.slice(1));
  else Deno.exit(await runCli(Deno.args, Deno.env.toObject()));
}
