/**
 * Sluice's composition root and the single executable's entry point: `sluice [command]`.
 * Reads the environment here and nowhere else; `serve` (the default) runs until SIGINT/SIGTERM.
 */
import { runCli } from "./src/cli/run.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, Deno.env.toObject()));
}
