import { AppError, ServiceUnavailableError } from "../errors.ts";

// SQLSTATEs PostgreSQL (and PGlite) raise for a value the caller sent that the database cannot hold or
// compare: 22021 a NUL byte in text, 22P05 an unpaired surrogate in jsonb, 22003 a number out of range,
// 22008 a date out of range, 22007/22P02 a malformed date or number.
const INPUT_CODES = new Set(["22021", "22P05", "22003", "22008", "22007", "22P02"]);

/**
 * A database error caused by a value in the request, as a 400 that says so, or null for anything else.
 * Validation should catch these first; this keeps the ones it misses from becoming 500s.
 */
export function inputErrorFromDatabase(e: unknown): AppError | null {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string" || !INPUT_CODES.has(code)) return null;
  return new AppError(
    "invalid_value",
    "A value in the request cannot be stored or looked up: it contains a NUL character or an unpaired " +
      "surrogate, or a number or date is out of range",
    { status: 400, cause: e },
  );
}

/** Seconds a client is asked to wait (`Retry-After`) while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// Errors that say the statement never reached a server: nothing ran, so running it again is safe.
// Socket errors of a connect (Node's names, as Deno's node:net reports them), postgres.js's
// CONNECT_TIMEOUT and CONNECTION_DESTROYED (a statement still queued when its client was retired),
// and PostgreSQL refusing a new connection: 57P03 cannot_connect_now (starting or shutting down),
// 53300 too_many_connections, 08001/08004 connection refused or rejected.
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_DESTROYED",
  "57P03",
  "53300",
  "08001",
  "08004",
]);

// The connection went away while the statement may have been running: the server's fate is unknown.
// 57P01 admin_shutdown (pg_terminate_backend, a fast shutdown), 57P02 crash_shutdown, the 08 class
// (connection exceptions), postgres.js's CONNECTION_CLOSED and CONNECTION_ENDED (the store is closing),
// and socket errors of an open connection.
const LOST_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "57P01",
  "57P02",
]);

/** The connection a statement ran on closed while it was in flight (set by src/store/postgres_client.ts). */
export class ConnectionLostError extends Error {
  override name = "ConnectionLostError";
}

function codeOf(e: unknown): string | null {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" ? code : null;
}

/** Whether `e` says the database connection failed (not the statement): the database is away. */
export function isConnectionError(e: unknown): boolean {
  const code = codeOf(e);
  if (code === null) return e instanceof ConnectionLostError;
  return NOT_SENT_CODES.has(code) || LOST_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}

/** Whether `e` is a connection error that proves the statement never reached the server. */
export function neverSent(e: unknown): boolean {
  const code = codeOf(e);
  return code !== null && NOT_SENT_CODES.has(code);
}

/**
 * A connection error as the 503 every protocol answers while the database is away (REST and ingest with
 * `Retry-After`, MCP as an `isError` result), or null for any other error.
 */
export function unavailableErrorFromDatabase(e: unknown): ServiceUnavailableError | null {
  if (e instanceof ServiceUnavailableError) return e;
  if (!isConnectionError(e)) return null;
  return new ServiceUnavailableError(
    "database_unavailable",
    `The database is unavailable right now (${codeOf(e) ?? (e as Error)?.message ?? "connection lost"}): ` +
      `try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
    DATABASE_RETRY_AFTER_SECONDS,
    e,
  );
}
