import type { Context } from "hono";
import { AppError, ValidationError } from "../errors.ts";

/** Default limit for management API bodies. */
export const MAX_JSON_BODY = 1024 * 1024;

/**
 * Reads a JSON body. Empty means `{}`; malformed JSON is a 400 that says where; over `limit` bytes a 413.
 */
export async function readJson(
  c: Context,
  { limit = MAX_JSON_BODY }: { limit?: number } = {},
): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const text = await c.req.text();
  if (new TextEncoder().encode(text).length > limit) throw tooLarge(limit);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`Malformed JSON body: ${(e as Error).message}`, [{
      path: "",
      message: (e as Error).message,
    }]);
  }
}

function tooLarge(limit: number) {
  return new AppError("payload_too_large", `Request body is larger than ${limit} bytes`, { status: 413 });
}
