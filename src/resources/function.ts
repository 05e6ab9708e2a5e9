import * as v from "valibot";
import { baseEntries, optText, strict } from "./base.ts";

/** Largest function source Sluice accepts. */
export const MAX_CODE = 256 * 1024;

/** A JavaScript function run on events: `export default async function(event, ctx) {...}`. */
export const FunctionInput = v.pipe(
  strict({
    ...baseEntries,
    code: v.pipe(
      v.string("must be a string"),
      v.minLength(1, "required"),
      v.maxLength(MAX_CODE, `at most ${MAX_CODE} characters`),
      v.description(
        "ES module source with `export default async function(event, ctx) {...}`. Return the event " +
          '(changed or not), an array to fan out, or null/false/"drop" to drop it. Checked for syntax at save.',
      ),
    ),
    draft: optText("Unsaved draft code (not checked, never run).", { max: MAX_CODE }),
    description: optText("What the function does.", { max: 10_000 }),
    slug: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, "must be lowercase letters, digits, '_' or '-'"),
        v.description("A short stable name (Jitsu's CLI finds functions by it)."),
      ),
    ),
  }),
  v.description("A JavaScript function that transforms, enriches or drops events on a connection."),
);
