import type { Context } from "hono";
import { AppError, ValidationError } from "../errors.ts";
import { readBodyUpTo } from "../net/read_body.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepMessage } from "./json_depth.ts";

/** Default limit for management API bodies. */
export const MAX_JSON_BODY = 1024 * 1024;

/** Limit for HTML form posts (sign-in, setup, consent, the user page): a few fields each. */
export const MAX_FORM_BODY = 64 * 1024;

/**
 * The body as text, at most `limit` bytes. The limit holds while reading: a declared Content-Length over
 * it is refused before any byte is read, and a chunked body is counted as it arrives and cancelled as soon
 * as it passes the limit, so no request can make the server buffer more than `limit` bytes.
 */
export async function readBodyText(req: Request, limit: number): Promise<string> {
  if (Number(req.headers.get("content-length") ?? "0") > limit) throw tooLarge(limit);
  const { text, truncated } = await readBodyUpTo(req, limit);
  if (truncated) throw tooLarge(limit);
  return text;
}

/** The media type of a Content-Type header, lower case, without parameters ("" when absent). */
export function mediaType(header: string | null | undefined): string {
  return (header ?? "").split(";")[0].trim().toLowerCase();
}

/** Whether a media type is JSON (`application/json` or any `+json` type). */
export function isJsonType(type: string): boolean {
  return type === "application/json" || type.endsWith("+json");
}

/**
 * Reads a JSON body. Empty means `{}`; malformed JSON is a 400 that says where; over `limit` bytes a 413;
 * a declared Content-Type other than JSON a 415 (no Content-Type at all is read as JSON); nesting deeper
 * than MAX_JSON_DEPTH a 400; anything but an object is a 400 unless `object: false`.
 */
export async function readJson(
  c: Context,
  { limit = MAX_JSON_BODY, object = true }: { limit?: number; object?: boolean } = {},
): Promise<unknown> {
  const req = c.req.raw;
  const type = mediaType(req.headers.get("content-type"));
  if (type !== "" && !isJsonType(type)) {
    if (req.headers.get("content-length") === "0" || !req.body) return {};
    throw new AppError(
      "unsupported_media_type",
      `The body is declared as "${type}", not JSON: send Content-Type: application/json`,
      { status: 415 },
    );
  }
  const text = await readBodyText(req, limit);
  if (text.trim() === "") return {};
  if (nestsDeeperThan(text)) {
    throw new ValidationError(tooDeepMessage(), [{
      path: "",
      message: `nests deeper than ${MAX_JSON_DEPTH}`,
    }]);
  }
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

/**
 * Reads an HTML form post (`application/x-www-form-urlencoded`, what this app's forms send) of at most
 * `limit` bytes, shaped as hono's `parseBody()`: a field sent twice is the last value, or every value with
 * `all: true`. Any other content type is an empty form, left unread.
 */
export async function readForm(
  c: Context,
  { limit = MAX_FORM_BODY, all = false }: { limit?: number; all?: boolean } = {},
): Promise<Record<string, string | string[]>> {
  const req = c.req.raw;
  const form: Record<string, string | string[]> = {};
  if (mediaType(req.headers.get("content-type")) !== "application/x-www-form-urlencoded") return form;
  for (const [name, value] of new URLSearchParams(await readBodyText(req, limit))) {
    const seen = form[name];
    if (!all || seen === undefined) form[name] = value;
    else form[name] = Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return form;
}

function tooLarge(limit: number) {
  return new AppError("payload_too_large", `Request body is larger than ${limit} bytes`, { status: 413 });
}
