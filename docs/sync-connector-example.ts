#!/usr/bin/env -S deno run --allow-net --allow-read --ext=ts
/**
 * A complete sync connector (Airbyte protocol) for Sluice: it pulls items from a JSON HTTP API.
 * Copy it into SYNC_CONNECTORS_DIR without the extension (e.g. `http-items`), `chmod +x` it, and
 * create a service with `package: "http-items"` (docs/syncs.md).
 *
 * The API it reads: `GET <url>?since=<updated_at>` with `Authorization: Bearer <token>` answers a JSON
 * array of objects that each have `id` and `updated_at` (ISO text), oldest first. The connector offers
 * one stream, `items`: incremental on `updated_at`, primary key `id`.
 */

type Json = Record<string, unknown>;

const SPEC = {
  documentationUrl: "https://example.com/items-api",
  connectionSpecification: {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Items API",
    type: "object",
    required: ["url", "token"],
    properties: {
      url: { type: "string", title: "API URL", description: "Endpoint that lists items" },
      token: { type: "string", title: "API token", airbyte_secret: true },
      page_size: { type: "integer", title: "Items between two states", default: 100 },
    },
  },
};

const ITEMS_STREAM = {
  name: "items",
  json_schema: {
    type: "object",
    properties: { id: { type: "string" }, updated_at: { type: "string", format: "date-time" } },
  },
  supported_sync_modes: ["full_refresh", "incremental"],
  source_defined_cursor: true,
  default_cursor_field: ["updated_at"],
  source_defined_primary_key: [["id"]],
};

/** One protocol message per line on stdout: the only thing a connector may print there. */
function emit(message: Json): void {
  console.log(JSON.stringify(message));
}

function log(level: "INFO" | "WARN" | "ERROR", message: string): void {
  emit({ type: "LOG", log: { level, message } });
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function readJson(path: string | undefined): Promise<unknown> {
  return path ? JSON.parse(await Deno.readTextFile(path)) : undefined;
}

async function fetchItems(config: Json, since: string | null): Promise<Json[]> {
  const url = new URL(String(config.url));
  if (since) url.searchParams.set("since", since);
  const res = await fetch(url, { headers: { authorization: `Bearer ${config.token}` } });
  if (!res.ok) throw new Error(`GET ${url.pathname} answered ${res.status}`);
  const body = await res.json();
  if (!Array.isArray(body)) throw new Error("the API did not answer a JSON array");
  return body as Json[];
}

/** The saved cursor of `items`, from a per-stream state array (what Sluice hands back). */
function savedCursor(state: unknown): string | null {
  if (!Array.isArray(state)) return null;
  const entry = state.find((s) => s?.stream?.stream_descriptor?.name === "items");
  return entry?.stream?.stream_state?.updated_at ?? null;
}

function saveState(cursor: string): void {
  emit({
    type: "STATE",
    state: {
      type: "STREAM",
      stream: { stream_descriptor: { name: "items" }, stream_state: { updated_at: cursor } },
    },
  });
}

async function main(args: string[]): Promise<number> {
  const command = args[0];
  if (command === "spec") {
    emit({ type: "SPEC", spec: SPEC });
    return 0;
  }
  const config = (await readJson(option(args, "--config"))) as Json;
  if (command === "check") {
    try {
      await fetchItems(config, new Date().toISOString());
      emit({ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } });
    } catch (e) {
      emit({ type: "CONNECTION_STATUS", connectionStatus: { status: "FAILED", message: String(e) } });
    }
    return 0;
  }
  if (command === "discover") {
    emit({ type: "CATALOG", catalog: { streams: [ITEMS_STREAM] } });
    return 0;
  }
  if (command === "read") {
    const catalog = (await readJson(option(args, "--catalog"))) as {
      streams: { stream: { name: string }; sync_mode: string }[];
    };
    const configured = catalog.streams.find((s) => s.stream.name === "items");
    if (!configured) return 0;
    const incremental = configured.sync_mode === "incremental";
    const since = incremental ? savedCursor(await readJson(option(args, "--state"))) : null;
    log("INFO", since ? `reading items updated after ${since}` : "reading every item");
    const items = await fetchItems(config, since);
    const pageSize = Number(config.page_size ?? 100);
    let cursor = since;
    items.forEach((item, i) => {
      emit({ type: "RECORD", record: { stream: "items", data: item, emitted_at: Date.now() } });
      cursor = String(item.updated_at);
      // A state after every page: Sluice saves it once the records before it are committed.
      if (incremental && (i + 1) % pageSize === 0) saveState(cursor);
    });
    if (incremental && cursor) saveState(cursor);
    return 0;
  }
  console.error(`unknown command "${command}": expected spec, check, discover or read`);
  return 2;
}

try {
  Deno.exit(await main(Deno.args));
} catch (e) {
  emit({ type: "TRACE", trace: { type: "ERROR", emitted_at: Date.now(), error: { message: String(e) } } });
  Deno.exit(1);
}
