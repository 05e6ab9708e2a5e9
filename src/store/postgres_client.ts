/**
 * One postgres.js client with one connection, used until that connection closes and never again.
 *
 * Why retire a client instead of letting postgres.js reconnect it (postgres 3.4.9, its connection.js):
 * - `closed()` sets `socket = null` but leaves the connection usable: a statement handed to it afterwards
 *   (the ROLLBACK or COMMIT that `sql.begin()` sends itself when its callback fails or ends) goes through
 *   `execute()` -> `write()` -> `setImmediate(nextWrite)` -> `socket.write` on null: a TypeError in a timer
 *   callback, which nothing can catch, so the process died ("Cannot read properties of null (reading
 *   'write')");
 * - `closed()` cancels a pending flush but keeps its bytes and its timer handle, so after a reconnect the
 *   startup message is appended to stale bytes and never flushed: the connection hangs until
 *   connect_timeout, then again, and every statement given to it waits (the server looked deaf);
 * - statements queued behind a busy reserved connection are never settled when it closes.
 * Patching connection.js would need a fork to maintain; instead nothing is ever sent on a client whose
 * connection closed (`lost`), every statement is raced against the close, and a fresh client (cheap: it
 * connects on first use) takes its place. Transactions are run by hand on a reserved connection
 * (src/store/postgres.ts), so no statement of ours is sent by postgres.js after a close.
 */
import postgres from "postgres";
import { ConnectionLostError, isConnectionError } from "./db_errors.ts";

/** A client and whether its connection was lost. */
export interface Conn {
  readonly sql: postgres.Sql;
  /** True once the connection closed: send nothing more on `sql`. */
  readonly lost: boolean;
  /** Retires the client now: a statement on it failed with a connection error, its connection is done. */
  retire(): void;
  /** `p`, or a ConnectionLostError as soon as the connection closes (a statement never hangs). */
  guard<T>(p: Promise<T>): Promise<T>;
  /** Ends the client (waits up to `timeoutSeconds` for statements in flight). */
  end(timeoutSeconds: number): Promise<void>;
}

function jsonText(x: unknown): string {
  return typeof x === "string" ? x : JSON.stringify(x);
}

// A connect that takes longer means the database is away for this request; it gets a 503 then.
const CONNECT_TIMEOUT_SECONDS = 10;

/** Opens a client lazily (no connection until its first statement). */
export function openConn(
  url: string,
  options: {
    onnotify?: (channel: string, payload: string) => void;
    onLost?: () => void;
    /**
     * A LISTEN connection: never recycled for age or idleness (each recycle would lose the notifications
     * sent meanwhile), and no type fetch (it only sends LISTEN and UNLISTEN), as postgres.js's own listen does.
     */
    listening?: boolean;
  } = {},
): Conn {
  let lost = false;
  let markLost!: (e: Error) => void;
  const lostSignal = new Promise<never>((_, reject) => markLost = reject);
  lostSignal.catch(function handled() {});
  /**
   * The statements being guarded: each is rejected if the connection is lost first. Not
   * `Promise.race([p, lostSignal])`: each race left a reaction on the long-pending `lostSignal` that kept
   * its statement's result reachable for the client's whole life (a heap snapshot after a 40,000-event
   * backlog drained: every claimed row still in memory).
   */
  const guarded = new Set<(e: Error) => void>();
  let lostError: Error | null = null;
  lostSignal.catch(function rejectGuarded(e: Error) {
    lostError = e;
    for (const reject of guarded) reject(e);
    guarded.clear();
  });
  const sql = postgres(url, {
    max: 1,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    onnotice: function ignoreNotice() {},
    ...(options.onnotify ? { onnotify: options.onnotify } : {}),
    ...(options.listening ? { max_lifetime: null, idle_timeout: null, fetch_types: false } : {}),
    onclose: retire,
    // Our convention (db.ts): jsonb parameters arrive as JSON text. postgres.js would JSON.stringify a
    // string again (storing a JSON string, not the object); pass text through as is, as PGlite does.
    types: {
      sluiceJson: { to: 114, from: [114], serialize: jsonText, parse: JSON.parse },
      sluiceJsonb: { to: 3802, from: [3802], serialize: jsonText, parse: JSON.parse },
    },
    // Dates and jsonb are parsed by postgres.js; int8 stays a string (we cast counts to int).
    connection: { application_name: "sluice" },
  } as postgres.Options<Record<string, postgres.PostgresType>>);
  /** Sends nothing more on this client and ends it; called on its close and on a connection error. */
  function retire() {
    if (lost) return;
    lost = true;
    // Statements in flight get postgres.js's own error first when it has one (a refused connect says
    // ECONNREFUSED, which tells the caller the statement never ran); the rest get ConnectionLostError.
    setTimeout(markLost, 10, new ConnectionLostError("the database connection closed"));
    // Ends the client before postgres.js's own reconnect timer (5 ms or more) fires: whatever it still
    // held queued is refused (CONNECTION_DESTROYED), never run later on a new connection.
    sql.end({ timeout: 0 }).catch(function ignore() {});
    options.onLost?.();
  }

  return {
    sql,
    retire,
    get lost() {
      return lost;
    },
    guard<T>(p: Promise<T>): Promise<T> {
      // Already lost: the race settles at once, and leaves nothing behind on a settled promise.
      if (lostError) return Promise.race([p, lostSignal]);
      return new Promise<T>((resolve, reject) => {
        guarded.add(reject);
        p.then(resolve, reject).finally(() => guarded.delete(reject));
      });
    },
    async end(timeoutSeconds: number) {
      await sql.end({ timeout: timeoutSeconds });
    },
  };
}

// The text of postgres.js's array-type query (connection.js fetchArrayTypes in postgres 3.4.9), which errors carry in `query`.
const TYPE_FETCH_MARK = "b.typarray";
let typeFetchGuard = false;

/**
 * Keeps a lost connection's type fetch from ending the process: the last resort, for one error only.
 * Each new postgres.js connection first loads the array types (`fetchArrayTypes()`, needed to send arrays
 * as parameters), from a promise that postgres.js drops: when the connection closes during that query the
 * rejection is unhandled, and Deno exits on an unhandled rejection. No call site can catch it, so a
 * process-wide listener takes exactly that rejection (a connection error carrying that query's text), logs
 * it and prevents the exit; every other unhandled rejection still ends the process as before.
 */
export function guardTypeFetch(log: (message: string, error: unknown) => void): void {
  if (typeFetchGuard) return;
  typeFetchGuard = true;
  globalThis.addEventListener("unhandledrejection", function lostTypeFetch(event) {
    const reason = event.reason as { query?: unknown } | null;
    if (!isConnectionError(reason) || typeof reason?.query !== "string") return;
    if (!reason.query.includes(TYPE_FETCH_MARK)) return;
    event.preventDefault();
    log("a database connection closed while loading types; it is replaced", reason);
  });
}
