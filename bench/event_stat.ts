/**
 * `deno task bench event_stat [events]`: the statistics behind the console's chart.
 * 1. Counting: `events` (default 1,000,000) pipeline outcomes and ingest entries spread over the last 7
 *    days (3 streams, 5 connections) go through the rollup's own counting path (statDeltas, then the
 *    upserts appendEvents runs), in groups of 1,000 as the pipeline commits them: events counted per second.
 * 2. Reading: getEventStat() as the overview calls it: the last 24 hours by hour, the last 7 days by hour
 *    and by day, one stream's last 24 hours: median and p95 milliseconds of 30 calls each.
 * On a throwaway PostgreSQL database (BENCH_PG_URL or PGTEST_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * and on PGlite. Figures only, never asserted.
 */
import postgres from "postgres";
import { cliPrincipal } from "../src/auth/principal.ts";
import { closeDeps, openDeps } from "../src/compose.ts";
import { loadConfig } from "../src/config.ts";
import type { Ctx } from "../src/deps.ts";
import { statDeltas, type StatEntry } from "../src/events_log/event_stat_counts.ts";
import { createLogger } from "../src/log.ts";
import { getEventStat } from "../src/services/event_stat.ts";
import { createUser } from "../src/services/users.ts";
import { createWorkspace } from "../src/services/workspaces.ts";
import type { Db } from "../src/store/db.ts";
import { addConnectionStats, addStreamStats } from "../src/store/event_stat_repo.ts";
import { openPglite } from "../src/store/pglite.ts";
import { openPostgres } from "../src/store/postgres.ts";

const PG_ADMIN = Deno.env.get("BENCH_PG_URL") ?? Deno.env.get("PGTEST_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";
const N = Number((import.meta.main ? Deno.args[0] : undefined) ?? 1_000_000);
const GROUP = 1000;
const DAY = 86_400_000;

export async function freshPostgres(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const name = `sluice_bench_stat_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return {
    db: openPostgres(u.toString()),
    async drop() {
      const a = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** The streams and connections the counted events flow through. */
export interface StatActors {
  streams: readonly string[];
  connections: readonly string[];
}

const DEFAULT_ACTORS: StatActors = {
  streams: ["stream-0", "stream-1", "stream-2"],
  connections: ["conn-0", "conn-1", "conn-2", "conn-3", "conn-4"],
};

/** The i-th of n events' entries: its incoming entry, then (most of the time) one pipeline outcome. */
function entriesOf(ws: string, i: number, n: number, now: number, actors: StatActors): StatEntry[] {
  const at = new Date(now - Math.floor((i / n) * 7 * DAY));
  const stream = actors.streams[i % actors.streams.length];
  const conn = actors.connections[i % actors.connections.length];
  const r = i % 100;
  const incoming: StatEntry = {
    workspaceId: ws,
    actorId: stream,
    type: "incoming",
    level: r === 0 ? "error" : "info",
    timestamp: at,
    message: {},
  };
  if (r === 0) return [incoming];
  const outcome: StatEntry = r < 3
    ? {
      workspaceId: ws,
      actorId: conn,
      type: "bulker_stream",
      level: "error",
      timestamp: at,
      message: { status: "FAILED" },
    }
    : r < 5
    ? {
      workspaceId: ws,
      actorId: conn,
      type: "function",
      level: "info",
      timestamp: at,
      message: { dropped: true },
    }
    : {
      workspaceId: ws,
      actorId: conn,
      type: "bulker_stream",
      level: "info",
      timestamp: at,
      message: { status: "SUCCESS" },
    };
  return [incoming, outcome];
}

/**
 * Counts `n` events spread over the 7 days before `now` into the rollup of workspace `ws`, through its own
 * counting path (statDeltas, then the upserts appendEvents runs), in groups of 1,000.
 */
export async function fillEventStat(
  db: Db,
  ws: string,
  n: number,
  now: number,
  actors: StatActors = DEFAULT_ACTORS,
): Promise<void> {
  for (let from = 0; from < n; from += GROUP) {
    const entries: StatEntry[] = [];
    for (let i = from; i < Math.min(n, from + GROUP); i++) entries.push(...entriesOf(ws, i, n, now, actors));
    const d = statDeltas(entries, new Date(now));
    await addConnectionStats(db, d.connections);
    await addStreamStats(db, d.streams);
  }
}

export function quantiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.floor(s.length * 0.95)] };
}

async function run(store: string, db: Db) {
  const config = loadConfig({
    PUBLIC_URL: "http://localhost:3000",
    SLUICE_PEPPER: "bench-pepper-0123456789abcdef",
  });
  const deps = await openDeps(config, { db, log: createLogger({ level: "error" }) });
  try {
    const user = await createUser(deps.db, {
      email: `b-${crypto.randomUUID()}@example.com`,
      password: null,
      isAdmin: false,
    });
    const ctx: Ctx = { ...deps, principal: cliPrincipal(user), requestId: "bench", channel: "cli" };
    const ws = await createWorkspace(ctx, { name: "Bench stat", slug: null });
    const now = Date.now();
    const counted = N;
    const t0 = performance.now();
    await fillEventStat(deps.db, ws.id, N, now);
    const countSec = (performance.now() - t0) / 1000;
    const rows = await deps.db.query<{ n: number; events: string }>(
      "select count(*)::int as n, sum(events)::text as events from event_stat where workspace_id = $1 and granularity = 'minute'",
      [ws.id],
    );
    console.log(
      `${store}: counted ${counted} events (${rows[0].events} counts in ${
        rows[0].n
      } minute rows, and their hours) in ` +
        `${countSec.toFixed(1)} s: ${Math.round(counted / countSec)} events/s`,
    );
    if (store === "PostgreSQL") await deps.db.query("analyze event_stat");
    const cases: [string, Record<string, unknown>][] = [
      ["24 h by hour (the default)", {}],
      ["7 days by hour", { start: new Date(now - 7 * DAY).toISOString(), granularity: "hour" }],
      ["7 days by day", { start: new Date(now - 7 * DAY).toISOString(), granularity: "day" }],
      ["one stream, 24 h by hour", { streamId: "stream-1" }],
    ];
    for (const [name, args] of cases) {
      const times: number[] = [];
      let rowCount = 0;
      for (let k = 0; k < 30; k++) {
        const t = performance.now();
        const r = await getEventStat(ctx, { workspaceId: ws.id, ...args });
        times.push(performance.now() - t);
        rowCount = r.rows.length;
      }
      const q = quantiles(times);
      console.log(
        `${store}: getEventStat ${name}: ${rowCount} rows, median ${q.median.toFixed(1)} ms, p95 ${
          q.p95.toFixed(1)
        } ms`,
      );
    }
  } finally {
    await closeDeps(deps);
  }
}

if (import.meta.main) {
  const pg = await freshPostgres();
  try {
    await run("PostgreSQL", pg.db);
  } finally {
    await pg.drop();
  }
  await run("PGlite", await openPglite());
}
