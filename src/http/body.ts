import type { Context } from "hono";
import { AppError, ValidationError } from "../errors.ts";

/** Default limit for management API bodies. */
export const MAX_JSON_BODY = 1024 * 1024;

/**
 * Reads a JSON body. Empty means `{}`; malformed JSON is a 400 that says where; over `limit` bytes a 413;
 * anything but an object is a 400 unless `object: false`.
 */
export async function readJson(
  c: Context,
  { limit = MAX_JSON_BODY, object = true }: { limit?: number; object?: boolean } = {},
): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const text = await c.req.text();
  if (new TextEncoder().encode(text).length > limit) throw tooLarge(limit);
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    throw new ValidationError(`Malformed JSON body: ${message}`, [{ path: "", message }]);
  }
  if (object && (body === null || typeof body !== "object" || Array.isArray(body))) {
    throw new ValidationError("The JSON body must be an object", [{
      path: "",
      message: "must be an object",
    }]);
  }
  return body;
}

function tooLarge(limit: number) {
  return new AppError("payload_too_large", `Request body is larger than ${limit} bytes`, { status: 413 });
}
