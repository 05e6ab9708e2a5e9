import { AppError } from "../errors.ts";

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
