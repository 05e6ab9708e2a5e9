import postgres from "postgres";
import { assertChannel, type Db, type Queryable, type Row, type Unlisten } from "./db.ts";

/** Options for {@linkcode openPostgres}. */
export interface PostgresOptions {
  /** Connections for transactions (and LISTEN); postgres.js opens them lazily up to this many. */
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
 * Opens a PostgreSQL store over postgres.js, as two pools whose connections are made lazily:
 * - single statements (`query`, `exec`) go to a small pool. postgres.js sends a statement to an idle
 *   connection when it has one and otherwise pipelines it onto a busy one, where it shares a network write
 *   and a backend wake-up with the statements queued beside it. Under load, a small pool therefore does
 *   more work per write: on 2 cores, REST reads ran ~2x faster on 2 connections than on 10 (README's
 *   Performance section has the figures);
 * - transactions hold a connection until they end, so they get their own pool (`max`): a long transaction
 *   never makes a read wait, and a statement never waits for a transaction to finish.
 */
export function openPostgres(url: string, { max = 10, statementMax = 2 }: PostgresOptions = {}): Db {
  const sql = connect(url, statementMax);
  const txSql = connect(url, max);

  function run<T>(q: postgres.Sql | postgres.TransactionSql, text: string, params: readonly unknown[] = []) {
    // An unprepared query with parameters costs two round trips (postgres.js describes it first to learn
    // the parameter types), so the fixed-text queries of the request path are prepared: one round trip
    // each (issue 4's read benchmark). Statements with many parameters are generated multi-row inserts
    // whose text changes with the row count; preparing those would only fill each connection's cache.
    const prepare = params.length > 0 && params.length <= PREPARE_MAX_PARAMS;
    // deno-lint-ignore no-explicit-any
    return q.unsafe(text, params as any[], { prepare }) as unknown as Promise<T[]>;
  }

  return {
    driver: "postgres",
    query<T = Row>(text: string, params?: readonly unknown[]) {
      return run<T>(sql, text, params);
    },
    async exec(text: string) {
      await sql.unsafe(text);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return await txSql.begin(async function inTransaction(tx) {
        return await fn({
          query: (text, params) => run(tx, text, params),
          exec: async (text) => void await tx.unsafe(text),
        });
      }) as T;
    },
    async listen(
      channel: string,
      onMessage: (payload: string) => void,
      onListen?: () => void,
    ): Promise<Unlisten> {
      assertChannel(channel);
      // postgres.js re-subscribes after a reconnect and calls onlisten every time.
      const sub = await txSql.listen(channel, onMessage, onListen);
      return async function unlisten() {
        await sub.unlisten();
      };
    },
    async notify(channel: string, payload: string) {
      assertChannel(channel);
      await sql.notify(channel, payload);
    },
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), txSql.end({ timeout: 5 })]);
    },
  };
}

function connect(url: string, max: number) {
  return postgres(url, {
    max,
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
