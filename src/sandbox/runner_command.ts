/** First argument of the compiled binary that starts a runner instead of the CLI (see main.ts). */
export const RUNNER_COMMAND = "__sandbox-runner";
