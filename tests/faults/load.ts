/**
 * Load and bookkeeping for the database fault tests: a Sluice child process on a PostgreSQL database,
 * concurrent ingest and REST-write clients that record every answer, and a count of the acknowledged
 * events the database really holds.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { runSluice, type ServerProcess, startSluice } from "../_helpers/process.ts";

/** A running server with an API key, a workspace and a stream's server write key. */
export interface Target {
  server: ServerProcess;
  env: Record<string, string>;
  auth: string;
  ws: string;
  writeKey: string;
}

/** Starts Sluice on `databaseUrl` and makes what the load needs. */
export async function startTarget(databaseUrl: string): Promise<Target> {
  const env = {
    DATABASE_URL: databaseUrl,
    DATA_DIR: `${await Deno.makeTempDir()}/unused`,
    SLUICE_ADMIN_EMAIL: "admin@example.com",
    SLUICE_ADMIN_PASSWORD: "a long password",
    PIPELINE_WORKERS: "1",
  };
  const server = await startSluice(env);
  const key = await runSluice(["apikey", "create", "--email", "admin@example.com"], { env });
  assert.equal(key.code, 0, key.stderr);
  const auth = `Bearer ${key.stdout.trim()}`;
  const list = await (await fetch(`${server.url}/api/workspace`, { headers: { authorization: auth } }))
    .json();
  const ws = list[0].id as string;
  const res = await fetch(`${server.url}/api/${ws}/config/stream`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ name: "site" }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const stream = await res.json();
  // A connection to a devnull destination, so the pipeline claims and delivers every event.
  const dest = await post(server.url, auth, `/api/${ws}/config/destination`, {
    name: "sink",
    destinationType: "devnull",
  });
  await post(server.url, auth, `/api/${ws}/config/connection`, {
    fromId: stream.id,
    toId: dest.id,
    type: "push",
    data: {},
  });
  return { server, env, auth, ws, writeKey: stream.writeKey };
}

// deno-lint-ignore no-explicit-any
async function post(base: string, auth: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 201, `${path}: ${text}`);
  return JSON.parse(text);
}

/** What the clients saw. */
export interface LoadReport {
  /** Answers by status (0: no answer: the connection failed). */
  statuses: Map<number, number>;
  /** messageIds of events answered 200. */
  acknowledged: string[];
  /** 503 answers without a Retry-After header. */
  missingRetryAfter: number;
  /** A 5xx other than 503, with its body (the first few). */
  otherErrors: string[];
}

/** Runs `ingestClients` ingest loops and `restClients` REST-write loops until `stop()`. */
export function startLoad(t: Target, { ingestClients = 4, restClients = 2 } = {}) {
  const report: LoadReport = { statuses: new Map(), acknowledged: [], missingRetryAfter: 0, otherErrors: [] };
  let running = true;
  let seq = 0;
  function record(res: Response | null, body: string) {
    const status = res?.status ?? 0;
    report.statuses.set(status, (report.statuses.get(status) ?? 0) + 1);
    if (status === 503 && !res?.headers.get("retry-after")) report.missingRetryAfter++;
    if (status >= 500 && status !== 503 && report.otherErrors.length < 5) report.otherErrors.push(body);
  }
  async function call(path: string, init: RequestInit): Promise<Response | null> {
    try {
      const res = await fetch(`${t.server.url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
      const body = await res.text();
      record(res, `${res.status} ${path}: ${body}`);
      return res;
    } catch (e) {
      record(null, String(e));
      return null;
    }
  }
  async function ingestLoop(n: number) {
    while (running) {
      const messageId = `m-${n}-${seq++}`;
      const res = await call("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": t.writeKey, "content-type": "application/json" },
        body: JSON.stringify({ type: "track", event: "fault", messageId }),
      });
      if (res?.status === 200) report.acknowledged.push(messageId);
      if (res?.status !== 200) await pause(50);
    }
  }
  async function restLoop(n: number) {
    while (running) {
      const res = await call(`/api/${t.ws}/config/stream`, {
        method: "POST",
        headers: { authorization: t.auth, "content-type": "application/json" },
        body: JSON.stringify({ name: `load-${n}-${seq++}` }),
      });
      if (res?.status !== 201) await pause(50);
    }
  }
  const loops = [
    ...Array.from({ length: ingestClients }, (_, i) => ingestLoop(i)),
    ...Array.from({ length: restClients }, (_, i) => restLoop(i)),
  ];
  return {
    report,
    async stop(): Promise<LoadReport> {
      running = false;
      await Promise.all(loops);
      return report;
    },
  };
}

/** How many of `ids` are stored as incoming events (each acknowledged event must be). */
export async function storedMessageIds(databaseUrl: string, ids: string[]): Promise<number> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe<{ message: string }[]>(
      "select message from events_log where type = 'incoming'",
    );
    const stored = new Set(rows.map(function messageIdOf(r) {
      const m = JSON.parse(r.message);
      return (typeof m === "string" ? JSON.parse(m) : m).body?.messageId;
    }));
    return ids.filter((id) => stored.has(id)).length;
  } finally {
    await sql.end();
  }
}

/**
 * Waits until no queued event is ready and unclaimed: the pipeline took and delivered everything it could.
 * Rows claimed by a batch the outage broke stay leased (60 s) and are taken again after that, by design.
 * Returns how long it took and how many rows are still leased or scheduled for later.
 */
export async function waitQueueIdle(databaseUrl: string, withinMs: number): Promise<[number, number]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const start = performance.now();
  try {
    for (;;) {
      const [{ ready, later }] = await sql.unsafe<{ ready: number; later: number }[]>(
        `select count(*) filter (where available_at <= now() and coalesce(locked_until, now()) <= now())::int
                  as ready,
                count(*) filter (where available_at > now() or locked_until > now())::int as later
           from event_queue`,
      );
      if (ready === 0) return [performance.now() - start, later];
      if (performance.now() - start > withinMs) {
        throw new Error(`${ready} events still ready after ${withinMs} ms`);
      }
      await pause(200);
    }
  } finally {
    await sql.end();
  }
}

/** Polls `/healthz` until it answers 200; returns the milliseconds it took, or throws after `withinMs`. */
export async function waitHealthy(url: string, withinMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < withinMs) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return performance.now() - start;
    } catch { /* not yet */ }
    await pause(100);
  }
  throw new Error(`/healthz did not answer 200 within ${withinMs} ms`);
}

/** Sends SIGTERM and returns [exit code, milliseconds until exit]; SIGKILLs a process still there after 12 s. */
export async function stopTimed(server: ServerProcess): Promise<[number, number]> {
  const start = performance.now();
  const exited = server.stop();
  const timer = setTimeout(() => server.stop("SIGKILL"), 12_000);
  const code = await exited.finally(() => clearTimeout(timer));
  return [code, performance.now() - start];
}

/**
 * What every fault test asserts after the faults: no crash, no 5xx but 503 and each of those with
 * Retry-After, every request answered; then a second of load all succeeds, and every event acknowledged
 * during or after the faults is stored. Returns how many were acknowledged.
 */
export async function assertSurvived(t: Target, databaseUrl: string, report: LoadReport): Promise<number> {
  assertNoCrash(t.server.log());
  assert.deepEqual(report.otherErrors, [], "no 5xx but 503");
  assert.equal(report.missingRetryAfter, 0, "every 503 has Retry-After");
  assert.equal(report.statuses.get(0) ?? 0, 0, "every request got an answer");
  const after = startLoad(t, { ingestClients: 2, restClients: 1 });
  await pause(1000);
  const again = await after.stop();
  assert.deepEqual([...again.statuses.keys()].sort(), [200, 201], `after: ${[...again.statuses]}`);
  const all = [...report.acknowledged, ...again.acknowledged];
  assert.equal(await storedMessageIds(databaseUrl, all), all.length, "acknowledged events lost");
  return all.length;
}

/** Fails with the lines around it when the server log shows an uncaught error (a crash). */
export function assertNoCrash(log: string): void {
  const at = log.search(/Uncaught|TypeError/);
  assert.equal(at, -1, `the server crashed:\n${log.slice(Math.max(0, at - 300), at + 1500)}`);
}

export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
