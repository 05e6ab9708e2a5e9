/**
 * `deno task bench console [events] [requests]`: the web console's server time with a busy workspace.
 * A workspace with 3 streams, 2 destinations and 5 connections gets `events` (default 1,000,000) events
 * counted in the statistics rollup over the last 7 days (the filling code of bench/event_stat.ts), and
 * 10,000 Live Events entries for one stream (incoming) and 10,000 for one of its connections
 * (bulker_stream, 1 in 20 an error). Then the pages are requested through the app in-process
 * (`app.request` with a signed-in session cookie, as a browser would): Overview (24 hours, 7 days) and
 * Live Events (first page, errors only, a search, the page 5,000 entries back), `requests` times each
 * (default 30) after one warm-up: median and p95 server milliseconds per page.
 * On a throwaway PostgreSQL database (BENCH_PG_URL or PGTEST_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres) and on PGlite. Figures only, never asserted.
 */
import { createApp } from "../src/app.ts";
import { randomToken, sha256Hex } from "../src/auth/crypto.ts";
import { cliPrincipal } from "../src/auth/principal.ts";
import { closeDeps, openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import type { Ctx } from "../src/deps.ts";
import { createLogger } from "../src/log.ts";
import { createResource } from "../src/services/resources.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import type { Db } from "../src/store/db.ts";
import { insertEventLogEntries } from "../src/store/events_log_repo.ts";
import { openPglite } from "../src/store/pglite.ts";
import { insertSession } from "../src/store/sessions_repo.ts";
import { fillEventStat, freshPostgres, quantiles } from "./event_stat.ts";

const EVENTS = Number(Deno.args[0] ?? 1_000_000);
const REQUESTS = Number(Deno.args[1] ?? 30);
const LIVE = 10_000;
/** Older pages followed (50 entries each) before timing "an older page". */
const OLDER_STEPS = 100;

async function build(ctx: Ctx, ws: string) {
  const add = async (type: string, data: Record<string, unknown>) =>
    (await createResource(ctx, { workspaceId: ws, type, data }) as { id: string }).id;
  const streams = [await add("stream", { name: "web" }), await add("stream", { name: "app" })];
  streams.push(await add("stream", { name: "backend" }));
  const dests = [
    await add("destination", { name: "hook a", destinationType: "webhook", url: "http://127.0.0.1:9/a" }),
    await add("destination", { name: "hook b", destinationType: "webhook", url: "http://127.0.0.1:9/b" }),
  ];
  const pairs: [number, number][] = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]];
  const connections: string[] = [];
  for (const [s, d] of pairs) {
    connections.push(await add("connection", { fromId: streams[s], toId: dests[d], type: "push", data: {} }));
  }
  return { streams, connections };
}

/** 10,000 incoming entries for `stream` and 10,000 bulker_stream entries for `conn`, newest now. */
async function fillLiveEvents(db: Db, ws: string, stream: string, conn: string, now: number) {
  const rows = [];
  for (let i = 0; i < LIVE; i++) {
    const timestamp = new Date(now - (LIVE - i) * 1000);
    const event = {
      type: "track",
      event: i % 7 === 0 ? "Signed Up" : "Page Viewed",
      messageId: `m-${i}`,
      userId: `user-${i % 500}`,
      anonymousId: `anon-${i % 1000}`,
      timestamp: timestamp.toISOString(),
      context: {
        page: { url: `https://example.com/p/${i % 40}` },
        ip: "203.0.113.7",
        userAgent: "Mozilla/5.0",
      },
      properties: { plan: i % 3 === 0 ? "pro" : "free", value: i % 100 },
    };
    rows.push({
      workspaceId: ws,
      actorId: stream,
      type: "incoming",
      level: "info",
      timestamp,
      messageJson: JSON.stringify({ body: event, httpHeaders: { "content-type": "application/json" } }),
    });
    const failed = i % 20 === 0;
    rows.push({
      workspaceId: ws,
      actorId: conn,
      type: "bulker_stream",
      level: failed ? "error" : "info",
      timestamp,
      messageJson: JSON.stringify({
        status: failed ? "FAILED" : "SUCCESS",
        ...(failed ? { error: "webhook answered 503 Service Unavailable" } : {}),
        event,
      }),
    });
  }
  await insertEventLogEntries(db, rows);
}

async function run(store: string, db: Db) {
  const config = loadConfig({
    PUBLIC_URL: "http://localhost:3000",
    SLUICE_PEPPER: "bench-pepper-0123456789abcdef",
  });
  const deps = await openDeps(config, { db, log: createLogger({ level: "error" }) });
  try {
    const app = createApp(deps);
    const user = await createUser(deps.db, {
      email: `b-${crypto.randomUUID()}@example.com`,
      password: null,
      isAdmin: false,
    });
    const ctx: Ctx = { ...deps, principal: cliPrincipal(user), requestId: "bench", channel: "cli" };
    const ws = await createWorkspace(ctx, { name: "Bench console", slug: "bench" });
    const { streams, connections } = await build(ctx, ws.id);
    const now = Date.now();
    const t0 = performance.now();
    await fillEventStat(deps.db, ws.id, EVENTS, now, { streams, connections });
    await fillLiveEvents(deps.db, ws.id, streams[0], connections[0], now);
    if (store === "PostgreSQL") await deps.db.query("analyze");
    console.log(
      `${store}: filled ${EVENTS} counted events and ${2 * LIVE} Live Events entries in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );

    const token = randomToken(32);
    const at = new Date();
    await insertSession(deps.db, {
      id: await sha256Hex(token),
      user_id: user.id,
      created_at: at,
      expires_at: new Date(at.getTime() + 3600_000),
      last_seen_at: at,
    });
    const cookie = `sluice_session=${token}`;
    const get = async (path: string) => {
      const res = await app.request(path, { headers: { cookie } });
      const html = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${html.slice(0, 300)}`);
      return html;
    };

    const incoming = `/bench/live?source=${streams[0]}&type=incoming`;
    const outcomes = `/bench/live?source=${connections[0]}&type=bulker_stream`;
    let older = incoming;
    for (let k = 0; k < OLDER_STEPS; k++) {
      const href = /<a href="([^"]+)">Older<\/a>/.exec(await get(older))?.[1];
      if (!href) throw new Error(`no older page after ${k} pages`);
      older = href.replaceAll("&amp;", "&");
    }
    const pages: [string, string][] = [
      ["Overview, 24 hours", "/bench"],
      ["Overview, 7 days", "/bench?range=7d"],
      ["Live Events, first page (incoming)", incoming],
      ["Live Events, errors only (bulker_stream)", `${outcomes}&errors=1`],
      ["Live Events, search", `${incoming}&q=user-123`],
      [`Live Events, older page (${OLDER_STEPS * 50} back)`, older],
    ];
    for (const [name, path] of pages) {
      let bytes = (await get(path)).length;
      const times: number[] = [];
      for (let k = 0; k < REQUESTS; k++) {
        const t = performance.now();
        bytes = (await get(path)).length;
        times.push(performance.now() - t);
      }
      const q = quantiles(times);
      console.log(
        `${store}: ${name}: ${Math.round(bytes / 1024)} KiB, median ${q.median.toFixed(1)} ms, p95 ${
          q.p95.toFixed(1)
        } ms`,
      );
    }
  } finally {
    await closeDeps(deps);
  }
}

if (import.meta.main) {
  console.log(`load average before: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
  const pg = await freshPostgres();
  try {
    await run("PostgreSQL", pg.db);
  } finally {
    await pg.drop();
  }
  await run("PGlite", await openPglite());
  console.log(`load average after: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
}
