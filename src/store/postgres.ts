import type postgres from "postgres";
import {
  ConnectionLostError,
  isConnectionError,
  neverSent,
  unavailableErrorFromDatabase,
} from "./db_errors.ts";
import { type Conn, guardTypeFetch, openConn } from "./postgres_client.ts";
import { openListener } from "./postgres_listen.ts";
import { assertChannel, type Db, type Queryable, type Row, type Unlisten } from "./db.ts";

/** Options for {@linkcode openPostgres}. */
export interface PostgresOptions {
  /** Connections for transactions; opened lazily, up to this many. LISTEN has one more of its own. */
  max?: number;
  /** Connections for single statements outside transactions; default 2 (see openPostgres). */
  statementMax?: number;
  /** Where the store reports trouble it handles itself (a LISTEN connection being renewed). */
  log?: (message: string, error: unknown) => void;
}

// Above this many parameters a statement is not prepared (see run()).
const PREPARE_MAX_PARAMS = 16;

/**
 * Opens a PostgreSQL store over postgres.js, as two groups of connections made lazily:
 * - single statements (`query`, `exec`) go to a small group (`statementMax`, default 2). A statement goes
 *   to the connection with the fewest statements in flight; when none is idle it is pipelined onto a busy
 *   one, where it shares a network write and a backend wake-up with the statements queued beside it. Under
 *   load, a small group therefore does more work per write: on 2 cores, REST reads ran ~2x faster on 2
 *   connections than on 10 (docs/performance.md has the figures);
 * - transactions hold a connection until they end, so they get their own group (`max`): a long
 *   transaction never makes a read wait, and a statement never waits for a transaction to finish.
 *
 * Each connection is its own postgres.js client with `max: 1`, and the choice of connection is made here,
 * not by postgres.js's pool. Its pool keeps its lists of connections in an array queue
 * (postgres@3.4.9/src/queue.js, the latest) whose `shift()` leaves a hole unless it takes the last entry, and whose
 * `remove()` is `indexOf` + `splice`. With two or more connections under steady load the busy list never
 * empties, so it grows by one slot per statement and every statement scans it: 50 concurrent
 * `select $1` on one client with 2 connections fell from 42k to 12.5k statements/s within 35 s and kept
 * falling, while a client with one connection (whose list empties on every shift) held 90k. A server
 * under sustained load got slower the longer it ran.
 *
 * When PostgreSQL goes away (restart, failover, `pg_terminate_backend`), a client whose connection closed
 * is retired and replaced (src/store/postgres_client.ts says why postgres.js's own reconnect is not
 * trusted), connection errors reach callers as a 503 `ServiceUnavailableError` (src/store/db_errors.ts),
 * and a single statement is run once more on a fresh connection when that cannot run it twice.
 */
export function openPostgres(
  url: string,
  { max = 10, statementMax = 2, log = logToStderr }: PostgresOptions = {},
): Db {
  guardTypeFetch(log);
  const lanes = Array.from(
    { length: Math.max(1, statementMax) },
    () => ({ conn: openConn(url), inFlight: 0 }),
  );
  // Idle transaction connections, used last-in first-out so that the ones never needed stay unopened.
  // Their clients are made on demand too, up to `max`: making ten postgres.js clients up front was
  // measurable in a start (docs/performance.md, "Start-up").
  const txMax = Math.max(1, max);
  const txConns = new Set<Conn>();
  const idle: Conn[] = [];
  // Transactions waiting for a connection, first come first served.
  const waiting: { resolve(conn: Conn): void; reject(e: Error): void }[] = [];
  const listener = openListener(url, function logListenError(message, error) {
    log(message, error);
  });
  let closed = false;

  function run<T>(q: postgres.Sql | postgres.ReservedSql, text: string, params: readonly unknown[] = []) {
    // An unprepared query with parameters costs two round trips (postgres.js describes it first to learn
    // the parameter types), so the fixed-text queries of the request path are prepared: one round trip
    // each (measured with bench/mcp.ts). Statements with many parameters are generated multi-row inserts
    // whose text changes with the row count; preparing those would only fill each connection's cache.
    const prepare = params.length > 0 && params.length <= PREPARE_MAX_PARAMS;
    // deno-lint-ignore no-explicit-any
    return q.unsafe(text, params as any[], { prepare }) as unknown as Promise<T[]>;
  }

  /** The statement connection with the fewest statements in flight (the first of equals). */
  function lane() {
    let best = lanes[0];
    for (let i = 1; i < lanes.length && best.inFlight > 0; i++) {
      if (lanes[i].inFlight < best.inFlight) best = lanes[i];
    }
    // A lane whose connection was lost gets a new client (see postgres_client.ts why never the old one).
    if (best.conn.lost && !closed) best.conn = openConn(url);
    return best;
  }

  async function onLane<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    if (closed) throw unavailable(new Error("the database is closed"));
    const l = lane();
    const conn = l.conn;
    l.inFlight++;
    try {
      return await conn.guard(fn(conn.sql));
    } catch (e) {
      if (isConnectionError(e)) conn.retire();
      throw e;
    } finally {
      l.inFlight--;
    }
  }

  /**
   * Runs a single statement; when its connection failed, once more on a fresh connection if that is safe:
   * the error proves the statement never reached the server (a refused or timed-out connect), or the
   * statement only reads. A write whose connection died in flight may have committed: it is not run twice,
   * the caller gets the 503.
   */
  async function statement<T>(text: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    try {
      return await onLane(fn);
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      if (closed || !(neverSent(e) || READ_ONLY.test(text))) throw unavailable(e);
    }
    try {
      return await onLane(fn);
    } catch (e) {
      throw isConnectionError(e) ? unavailable(e) : e;
    }
  }

  /** A new transaction connection (one of `max`); `replacing` is the lost one it stands in for. */
  function txConn(replacing?: Conn): Conn {
    if (replacing) txConns.delete(replacing);
    const conn = openConn(url);
    txConns.add(conn);
    return conn;
  }

  function release(conn: Conn) {
    if (closed) return;
    const usable = conn.lost ? txConn(conn) : conn;
    const next = waiting.shift();
    if (next) next.resolve(usable);
    else idle.push(usable);
  }

  function acquire(): Promise<Conn> {
    if (closed) return Promise.reject(unavailable(new Error("the database is closed")));
    let conn = idle.pop();
    if (conn?.lost) conn = txConn(conn);
    else if (!conn && txConns.size < txMax) conn = txConn();
    return conn ? Promise.resolve(conn) : new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  }

  return {
    driver: "postgres",
    poolStats() {
      let statementsInFlight = 0;
      for (const l of lanes) statementsInFlight += l.inFlight;
      return {
        statementsInFlight,
        transactionsActive: txConns.size - idle.length,
        transactionsMax: txMax,
        transactionsWaiting: waiting.length,
      };
    },
    query<T = Row>(text: string, params?: readonly unknown[]) {
      return statement(text, (sql) => run<T>(sql, text, params));
    },
    exec(text: string) {
      return statement(text, async (sql) => void await sql.unsafe(text));
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const conn = await acquire();
      let reserved: postgres.ReservedSql | null = null;
      let ended = false;
      let body: Promise<T> | undefined;
      // Every statement checks the connection first: nothing is ever sent on one that closed (the close
      // is a macrotask, so it cannot fall between this check and postgres.js's write).
      function send<R>(f: (r: postgres.ReservedSql) => Promise<R>): Promise<R> {
        if (ended) {
          return Promise.reject(new Error("the transaction has ended: use it only inside its callback"));
        }
        if (conn.lost || !reserved) {
          return Promise.reject(new ConnectionLostError("the database connection closed"));
        }
        return conn.guard(f(reserved));
      }
      // Ends the transaction: from here the callback's stragglers (a branch of a Promise.all still running)
      // are refused, so none of their statements runs outside the transaction in autocommit.
      function finish(stmt: "commit" | "rollback") {
        ended = true;
        if (conn.lost || !reserved) {
          return Promise.reject(new ConnectionLostError("the database connection closed"));
        }
        return conn.guard(reserved.unsafe(stmt));
      }
      let finishing = false;
      try {
        reserved = await conn.guard(conn.sql.reserve());
        // BEGIN, COMMIT and ROLLBACK are sent here, not by sql.begin(): postgres.js sends sql.begin()'s
        // own ROLLBACK/COMMIT even after the connection closed, which killed the process (postgres_client.ts).
        await send((r) => r.unsafe("begin"));
        body = fn({
          query: (text, params) => send((r) => run(r, text, params)),
          exec: (text) => send(async (r) => void await r.unsafe(text)),
        });
        const result = await body;
        // A commit whose connection dies may or may not have happened: never retried, the caller gets a 503.
        finishing = true;
        const done = await finish("commit");
        // PostgreSQL answers COMMIT with ROLLBACK (and no error) when a statement failed and the callback
        // caught its error: nothing was stored, so this must not look like success.
        if ((done as { command?: string }).command === "ROLLBACK") {
          throw new Error(
            "Cannot commit the transaction: a statement in it failed and its error was caught; nothing was stored",
          );
        }
        return result;
      } catch (e) {
        if (isConnectionError(e)) conn.retire();
        // After a COMMIT was sent the server has ended the transaction either way: nothing to roll back.
        if (!finishing && reserved && !conn.lost) await finish("rollback").catch(() => {});
        throw isConnectionError(e) ? unavailable(e) : e;
      } finally {
        // The connection goes back only once the callback is done, and whatever the callback still sends
        // is refused instead of landing in the next transaction on that connection.
        ended = true;
        if (reserved && !conn.lost) reserved.release();
        release(conn);
      }
    },
    async listen(
      channel: string,
      onMessage: (payload: string) => void,
      onListen?: () => void,
    ): Promise<Unlisten> {
      assertChannel(channel);
      return await listener.listen(channel, { onMessage, onListen });
    },
    notify(channel: string, payload: string) {
      assertChannel(channel);
      return statement("notify", async (sql) => void await sql.notify(channel, payload));
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(unavailable(new Error("the database is closed")));
      await Promise.all([...lanes.map((l) => l.conn), ...txConns].map((c) => c.end(5)));
      await listener.close();
    },
  };
}

// Statements that only read: running one again after its connection died changes nothing.
const READ_ONLY = /^\s*select\b(?![\s\S]*\bfor\s+(update|no\s+key\s+update|share|key\s+share)\b)/i;

/** A connection error as the typed 503 (src/store/db_errors.ts). */
function unavailable(e: unknown): Error {
  return unavailableErrorFromDatabase(
    e instanceof Error && !isConnectionError(e) ? new ConnectionLostError(e.message) : e,
  )!;
}

/** Without a logger, the store's own recoveries still leave a line on stderr. */
function logToStderr(message: string, error: unknown) {
  console.error(`sluice store: ${message}: ${(error as Error)?.message ?? error}`);
}
