/**
 * npm packages only tests use, imported by pinned specifier instead of through deno.json: with
 * nodeModulesDir "auto", every package in deno.json and deno.lock is installed by `deno task start`, and
 * these are large (a browser driver, a second MCP client). The test task resolves them through
 * tests/deno.lock (tests/cli/lockfile_test.ts keeps deno.lock free of them).
 */
export { Client, StreamableHTTPClientTransport } from "npm:@modelcontextprotocol/client@2.4.0";
export { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";
export { default as S3rver } from "npm:s3rver@3.7.1";
