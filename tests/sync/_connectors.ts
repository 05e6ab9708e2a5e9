/**
 * Fixture connectors the sync tests write into a fresh SYNC_CONNECTORS_DIR: small Deno scripts that
 * speak the Airbyte protocol, driven by their config so one script covers many cases.
 */
import { createResource } from "../../src/services/resources.ts";
import type { TestUser } from "../_helpers/app.ts";
import type { Target } from "../destinations/_targets.ts";

/**
 * `fake-source`: streams `users` (primary key id, cursor id) and `events`. Config: api_key ("good"
 * passes check), count (users to emit), stateEvery, events (rows of `events`), and faults: crashAfter
 * (SIGKILL itself after that many records of this run), garbage (print junk lines), hang (never end),
 * hangAt (after that record, print LOG lines forever),
 * legacyState (emit legacy STATE), leak (LOG the api key).
 */
export const FAKE_SOURCE = `#!/usr/bin/env -S deno run -A --ext=js
const [command, ...rest] = Deno.args;
const arg = (n) => { const i = rest.indexOf(n); return i >= 0 ? rest[i + 1] : undefined; };
const out = (m) => console.log(JSON.stringify(m));
const spec = { connectionSpecification: { type: "object", required: ["api_key"], properties: {
  api_key: { type: "string", airbyte_secret: true }, count: { type: "integer" }, region: { type: "string" } } } };
if (command === "spec") { out({ type: "SPEC", spec }); Deno.exit(0); }
const config = JSON.parse(Deno.readTextFileSync(arg("--config")));
if (config.showPath) {
  const mode = Deno.statSync(arg("--config")).mode & 0o777;
  out({ type: "LOG", log: { level: "INFO", message: "config file " + arg("--config") + " mode " + mode.toString(8) } });
}
if (config.leak) out({ type: "LOG", log: { level: "INFO", message: "using key " + config.api_key } });
if (command === "check") {
  out({ type: "LOG", log: { level: "DEBUG", message: "checking" } });
  out({ type: "CONNECTION_STATUS", connectionStatus: config.api_key === "good"
    ? { status: "SUCCEEDED" } : { status: "FAILED", message: "api key " + config.api_key + " refused" } });
  Deno.exit(0);
}
const users = { name: "users", json_schema: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } },
  supported_sync_modes: ["full_refresh", "incremental"], source_defined_cursor: true, default_cursor_field: ["id"],
  source_defined_primary_key: [["id"]] };
const events = { name: "events", json_schema: { type: "object" }, supported_sync_modes: ["full_refresh"] };
if (command === "discover") { out({ type: "CATALOG", catalog: { streams: [users, events] } }); Deno.exit(0); }
if (command !== "read") { console.error("unknown command " + command); Deno.exit(2); }
const catalog = JSON.parse(Deno.readTextFileSync(arg("--catalog")));
const names = catalog.streams.map((s) => s.stream.name);
let state = arg("--state") ? JSON.parse(Deno.readTextFileSync(arg("--state"))) : null;
let from = 0;
if (Array.isArray(state)) from = state.find((s) => s.stream?.stream_descriptor?.name === "users")?.stream?.stream_state?.cursor ?? 0;
else if (state && typeof state.users === "number") from = state.users;
const every = config.stateEvery ?? 10;
let emitted = 0;
const emit = (stream, data) => {
  out({ type: "RECORD", record: { stream, data, emitted_at: 0 } });
  emitted++;
  if (config.crashAfter && emitted === config.crashAfter) Deno.kill(Deno.pid, "SIGKILL");
};
const saveState = (n) => out({ type: "STATE", state: config.legacyState ? { data: { users: n } }
  : { type: "STREAM", stream: { stream_descriptor: { name: "users" }, stream_state: { cursor: n } } } });
out({ type: "LOG", log: { level: "INFO", message: "reading from " + from } });
if (config.garbage) { console.log("hello, this is not JSON"); console.log("{broken"); console.log(JSON.stringify({ type: "WHAT" })); }
if (names.includes("users")) {
  for (let i = from + 1; i <= (config.count ?? 0); i++) {
    emit("users", { id: i, name: "user " + i, profile: { tier: i % 2 ? "gold" : "free" } });
    if (i % every === 0) saveState(i);
    if (config.hang && i === 2) await new Promise(() => setInterval(() => {}, 1000));
    // Keeps talking: once whoever reads it is gone (Sluice killed), the next write fails and ends it.
    if (config.hangAt === i) {
      while (true) {
        // writeSync throws on a closed pipe (console.log would not), which ends the process.
        Deno.stdout.writeSync(new TextEncoder().encode('{"type":"LOG","log":{"level":"DEBUG","message":"waiting"}}\\n'));
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  saveState(config.count ?? 0);
}
if (names.includes("events")) for (let i = 1; i <= (config.events ?? 0); i++) emit("events", { n: i });
if (config.failAtEnd) {
  out({ type: "TRACE", trace: { type: "ERROR", emitted_at: 0, error: { message: "source API returned 500" } } });
  Deno.exit(1);
}
`;

/** Writes the fixture connectors to a new folder (the SYNC_CONNECTORS_DIR of a test app). */
export async function connectorsDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-connectors-" });
  await Deno.writeTextFile(`${dir}/fake-source`, FAKE_SOURCE, { mode: 0o755 });
  await Deno.writeTextFile(`${dir}/shell-source`, SHELL_SOURCE, { mode: 0o755 });
  return dir;
}

/** A shell connector: spec only, plus a `check` that never ends. */
export const SHELL_SOURCE = `#!/bin/sh
case "$1" in
  spec) echo '{"type":"SPEC","spec":{"connectionSpecification":{"type":"object","properties":{"token":{"type":"string","airbyte_secret":true}}}}}' ;;
  check) exec sleep 600 ;;
  *) echo "unknown command" >&2; exit 2 ;;
esac
`;

/**
 * A service on `pkg`, a postgres destination on `target`, and a sync connection between them; `ids`
 * gives the objects chosen ids (ids are unique per workspace only).
 */
export async function setupSync(
  u: TestUser,
  target: Target,
  { pkg = "fake-source", credentials, data = {}, ids = {} }: {
    pkg?: string;
    credentials: Record<string, unknown>;
    data?: Record<string, unknown>;
    ids?: { serviceId?: string; destinationId?: string; connectionId?: string };
  },
): Promise<{ serviceId: string; destinationId: string; connectionId: string }> {
  const service = await createResource(u.ctx, {
    workspaceId: u.workspace.id,
    type: "service",
    data: {
      ...(ids.serviceId ? { id: ids.serviceId } : {}),
      name: "Fake",
      package: pkg,
      version: "1.0",
      credentials,
    },
  }) as { id: string };
  const dest = await createResource(u.ctx, {
    workspaceId: u.workspace.id,
    type: "destination",
    data: {
      ...(ids.destinationId ? { id: ids.destinationId } : {}),
      name: "WH",
      destinationType: target.kind,
      ...target.credentials,
    },
  }) as { id: string };
  const conn = await createResource(u.ctx, {
    workspaceId: u.workspace.id,
    type: "connection",
    data: {
      ...(ids.connectionId ? { id: ids.connectionId } : {}),
      type: "sync",
      fromId: service.id,
      toId: dest.id,
      data,
    },
  }) as { id: string };
  return { serviceId: service.id, destinationId: dest.id, connectionId: conn.id };
}
