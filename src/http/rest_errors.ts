import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, ServiceUnavailableError } from "../errors.ts";
import type { AppEnv } from "./env.ts";
import { inputErrorFromDatabase, unavailableErrorFromDatabase } from "../store/db_errors.ts";

/** The REST error body: `{error: {code, message, issues?}, requestId}`. */
export function errorBody(c: Context<AppEnv>, code: string, message: string, issues?: unknown) {
  return { error: { code, message, ...(issues ? { issues } : {}) }, requestId: c.get("requestId") ?? null };
}

/** The one REST error mapper: known errors keep their status and message, anything else is a logged 500. */
export function restErrorHandler(error: Error, c: Context<AppEnv>) {
  const err = inputErrorFromDatabase(error) ?? unavailableErrorFromDatabase(error) ?? error;
  if (err instanceof ServiceUnavailableError) c.header("Retry-After", String(err.retryAfterSeconds));
  if (err instanceof AppError && err.expose) {
    return c.json(errorBody(c, err.code, err.message, err.issues), err.status as 400);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const message = err.status === 413 ? "Request body is too large" : err.message || "Bad request";
    return c.json(
      errorBody(c, err.status === 413 ? "payload_too_large" : "bad_request", message),
      err.status,
    );
  }
  c.get("deps")?.log.error("unhandled error", { requestId: c.get("requestId"), error: err });
  return c.json(
    errorBody(
      c,
      "internal",
      `Internal error; the server log has details under request id ${c.get("requestId")}`,
    ),
    500,
  );
}

export function notFoundHandler(c: Context<AppEnv>) {
  return c.json(errorBody(c, "not_found", `No route for ${c.req.method} ${c.req.path}`), 404);
}
