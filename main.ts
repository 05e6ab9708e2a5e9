/**
 * Sluice's composition root and the single executable's entry point: `sluice [command]`.
 * Reads the environment here and nowhere else; `serve` (the default) runs until SIGINT/SIGTERM.
 * The same executable re-runs itself as the Functions sandbox runner (a child process per workspace,
 * see src/sandbox/runner_process.ts), so the compiled binary needs no second file for it.
 */
import { runCli } from "./src/cli/run.ts";
import { denoCron } from "./src/runtime/profile.ts";
import { deployProfileSelected, registerTopLevelCron } from "./src/runtime/top_level_cron.ts";
import { RUNNER_COMMAND } from "./src/sandbox/runner_command.ts";

/**
 * The runner's loop loads in the runner process only. Not a literal, for the reason given at SERVE_MODULE
 * in src/cli/run.ts; `deno compile` embeds it through `--include`.
 */
const RUNNER_MAIN_MODULE = "./src/sandbox/runner_main.ts";

if (import.meta.main) {
  if (Deno.args[0] === RUNNER_COMMAND) {
    const { runSandboxRunner } = await import(
      RUNNER_MAIN_MODULE
    ) as typeof import("./src/sandbox/runner_main.ts");
    await runSandboxRunner(Deno.args.slice(1));
  } else {
    const env = Deno.env.toObject();
    // Deno Deploy picks up only cron jobs registered here, at the top level, before the server starts.
    const cron = deployProfileSelected(env) ? registerTopLevelCron(denoCron()) : null;
    Deno.exit(await runCli(Deno.args, env, undefined, { cron }));
  }
}
