/**
 * What the sandbox needs only once a function runs: the runner processes, `ctx.ua` / `ctx.geo`
 * (ua-parser-js, maxmind) and `ctx.fetch`. src/sandbox/sandbox.ts loads this module on its first chain
 * with functions, so a server or a CLI command that runs none does not load it
 * (docs/performance.md, "Start-up").
 */
export { GeoLookup, parseUserAgent } from "./event_context.ts";
export { guardedFetch } from "./guarded_fetch.ts";
export { crashOutcome, RunnerProcess } from "./runner_process.ts";
