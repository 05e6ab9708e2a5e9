import postgres from "postgres";
import { assertChannel, type Db, type Queryable, type Row, type Unlisten } from "./db.ts";

/** Options for {@linkcode openPostgres}. */
export interface PostgresOptions {
  /** Connections for transactions; opened lazily, up to this many. LISTEN has one more of its own. */
  max?: number;
  /** Connections for single statements outside transactions; default 2 (see openPostgres). */
  statementMax?: number;
}

// Above this many parameters a statement is not prepared (see run()).
const PREPARE_MAX_PARAMS = 16;

function jsonText(x: unknown): string {
  return typeof x === "string" ? x : JSON.stringify(x);
}

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
 */
export function openPostgres(url: string, { max = 10, statementMax = 2 }: PostgresOptions = {}): Db {
  const lanes = Array.from({ length: Math.max(1, statementMax) }, () => ({ sql: connect(url), inFlight: 0 }));
  const txClients = Array.from({ length: Math.max(1, max) }, () => connect(url));
  // Idle transaction connections, used last-in first-out so that the ones never needed stay unopened.
  const idle = [...txClients].reverse();
  // Transactions waiting for a connection, first come first served.
  const waiting: { resolve(sql: Client): void; reject(e: Error): void }[] = [];
  let closed = false;

  function run<T>(q: postgres.Sql | postgres.TransactionSql, text: string, params: readonly unknown[] = []) {
    // An unprepared query with parameters costs two round trips (postgres.js describes it first to learn
    // the parameter types), so the fixed-text queries of the request path are prepared: one round trip
    // each (issue 4's read benchmark). Statements with many parameters are generated multi-row inserts
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
    return best;
  }

  async function onLane<T>(fn: (sql: Client) => Promise<T>): Promise<T> {
    const l = lane();
    l.inFlight++;
    try {
      return await fn(l.sql);
    } finally {
      l.inFlight--;
    }
  }

  function release(sql: Client) {
    const next = waiting.shift();
    if (next) next.resolve(sql);
    else idle.push(sql);
  }

  function acquire(): Promise<Client> {
    if (closed) return Promise.reject(new Error("the database is closed"));
    const sql = idle.pop();
    return sql ? Promise.resolve(sql) : new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  }

  return {
    driver: "postgres",
    query<T = Row>(text: string, params?: readonly unknown[]) {
      return onLane((sql) => run<T>(sql, text, params));
    },
    exec(text: string) {
      return onLane(async (sql) => void await sql.unsafe(text));
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const sql = await acquire();
      let ended = false;
      let body: Promise<T> | undefined;
      const endedError = () => new Error("the transaction has ended: use it only inside its callback");
      try {
        return await sql.begin(function inTransaction(tx) {
          body = fn({
            query: (text, params) => ended ? Promise.reject(endedError()) : run(tx, text, params),
            exec: async (text) => {
              if (ended) throw endedError();
              await tx.unsafe(text);
            },
          });
          return body;
        }) as T;
      } finally {
        // postgres.js settles begin() as soon as the connection drops, while the callback may still be
        // running: the connection goes back only once the callback is done, and whatever the callback still
        // sends is refused instead of landing in the next transaction on that connection.
        ended = true;
        await body?.catch(() => {});
        release(sql);
      }
    },
    async listen(
      channel: string,
      onMessage: (payload: string) => void,
      onListen?: () => void,
    ): Promise<Unlisten> {
      assertChannel(channel);
      // postgres.js listens on a connection of its own and re-subscribes (calling onlisten) after a
      // reconnect; it is closed with the client.
      const sub = await txClients[0].listen(channel, onMessage, onListen);
      return async function unlisten() {
        await sub.unlisten();
      };
    },
    notify(channel: string, payload: string) {
      assertChannel(channel);
      return onLane(async (sql) => void await sql.notify(channel, payload));
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new Error("the database is closed"));
      await Promise.all([...lanes.map((l) => l.sql), ...txClients].map((sql) => sql.end({ timeout: 5 })));
    },
  };
}

type Client = ReturnType<typeof connect>;

/** One client with one connection (see openPostgres why). */
function connect(url: string) {
  return postgres(url, {
    max: 1,
    onnotice: function ignoreNotice() {},
    // Our convention (db.ts): jsonb parameters arrive as JSON text. postgres.js would JSON.stringify a
    // string again (storing a JSON string, not the object); pass text through as is, as PGlite does.
    types: {
      sluiceJson: { to: 114, from: [114], serialize: jsonText, parse: JSON.parse },
      sluiceJsonb: { to: 3802, from: [3802], serialize: jsonText, parse: JSON.parse },
    },
    // Dates and jsonb are parsed by postgres.js; int8 stays a string (we cast counts to int).
    connection: { application_name: "sluice" },
  });
}
