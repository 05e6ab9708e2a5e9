/**
 * The one storage interface. Two drivers implement it (postgres.ts over postgres.js, pglite.ts over
 * embedded PGlite) and one contract suite (tests/store/db_contract_test.ts) runs against both.
 *
 * Conventions every repo follows so both drivers behave the same:
 * - plain PostgreSQL SQL with `$1` parameters;
 * - jsonb parameters are passed as JSON text and cast (`$1::jsonb`); jsonb columns come back parsed;
 * - counts are cast to `int` (postgres.js returns int8 as a string, PGlite as a number);
 * - timestamps are `timestamptz` and come back as `Date`.
 */

/** A row as the driver returns it. */
export type Row = Record<string, unknown>;

/** What both a connection and a transaction can do. */
export interface Queryable {
  /** Runs one statement and returns its rows. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A handle to stop listening on a channel. */
export type Unlisten = () => Promise<void>;

export interface Db extends Queryable {
  /** Which driver this is, for the few places (locks, pools) where it matters. */
  readonly driver: "postgres" | "pglite";
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Nested calls are not supported; pass the `tx` down instead.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onMessage` for every NOTIFY on `channel` until the returned function is called. `onListen`
   * runs each time the subscription is (re)established: notifications sent while a dropped connection
   * was reconnecting are lost, so a cache that relies on them must forget everything there.
   */
  listen(channel: string, onMessage: (payload: string) => void, onListen?: () => void): Promise<Unlisten>;
  /** Sends a NOTIFY on `channel`. */
  notify(channel: string, payload: string): Promise<void>;
  /** Closes every connection; the process can exit afterwards. */
  close(): Promise<void>;
  /** How busy the connections are right now (`GET /metrics`); absent where there is no pool (PGlite). */
  poolStats?(): PoolStats;
}

/** A snapshot of a pooled store's connections. */
export interface PoolStats {
  /** Statements in flight on the statement connections. */
  statementsInFlight: number;
  /** Transaction connections in use, and how many there are at most. */
  transactionsActive: number;
  transactionsMax: number;
  /** Transactions waiting for a free connection. */
  transactionsWaiting: number;
}

/** Channel names are identifiers in LISTEN; only allow the plain kind. */
export function assertChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new Error(`Cannot listen on channel "${channel}": use lowercase letters, digits and "_"`);
  }
}

/**
 * A Db whose queries run on `tx`: lets a service that opens its own transaction be called from inside
 * another one (its `transaction()` just runs on the same connection).
 */
export function inTransaction(db: Db, tx: Queryable): Db {
  return { ...db, query: tx.query, exec: tx.exec, transaction: (fn) => fn(tx) };
}
