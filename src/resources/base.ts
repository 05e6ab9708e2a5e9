import * as v from "valibot";

/** The sentinel every response shows instead of a stored secret (Jitsu's, so its clients work). */
export const MASKED = "__MASKED_BY_JITSU__";

/** Ids are URL- and identifier-safe; clients may bring their own (Jitsu's CLI does). */
export const ObjectId = v.pipe(
  v.string("must be a string"),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
  ),
  v.description("Optional client-chosen id; the server mints one when absent."),
);

export const Name = v.pipe(
  v.string("must be a string"),
  v.minLength(1, "required"),
  v.maxLength(200, "at most 200 characters"),
  v.description("Display name."),
);

/** Entries every object accepts: its optional id and its required name. */
export const baseEntries = { id: v.optional(ObjectId), name: Name };

/** A required non-empty string with a description. */
export function text(description: string, { max = 2000 }: { max?: number } = {}) {
  return v.pipe(
    v.string("must be a string"),
    v.minLength(1, "required"),
    v.maxLength(max, `at most ${max} characters`),
    v.description(description),
  );
}

/** An optional string (empty allowed) with a description. */
export function optText(description: string, { max = 2000 }: { max?: number } = {}) {
  return v.optional(
    v.pipe(
      v.string("must be a string"),
      v.maxLength(max, `at most ${max} characters`),
      v.description(description),
    ),
  );
}

/** An optional string with a default and a description. */
export function textWithDefault(description: string, value: string) {
  return v.optional(
    v.pipe(
      v.string("must be a string"),
      v.maxLength(2000, "at most 2000 characters"),
      v.description(description),
    ),
    value,
  );
}

/** An optional boolean with a default and a description. */
export function flag(description: string, value: boolean) {
  return v.optional(v.pipe(v.boolean("must be true or false"), v.description(description)), value);
}

/** An optional whole number in a range, with a default and a description. */
export function int(description: string, value: number | undefined, min: number, max: number) {
  const base = v.pipe(
    v.number("must be a number"),
    v.integer("must be a whole number"),
    v.minValue(min, `at least ${min}`),
    v.maxValue(max, `at most ${max}`),
    v.description(description),
  );
  return value === undefined ? v.optional(base) : v.optional(base, value);
}

/** One of fixed values, with a default and a description. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  description: string,
  value?: T[number],
) {
  const base = v.pipe(
    v.picklist(values, `must be one of: ${values.join(", ")}`),
    v.description(description),
  );
  return value === undefined ? v.optional(base) : v.optional(base, value as never);
}

/** A strict object: an unknown field is an error naming it, so a typo is never silently ignored. */
export function strict<E extends v.ObjectEntries>(entries: E, description?: string) {
  const o = v.strictObject(entries, keyMessage(Object.keys(entries)));
  return description ? v.pipe(o, v.description(description)) : o;
}

/**
 * Valibot reports a missing required key, an unknown key and a non-object with the object's own
 * message: this tells the three apart and lists the allowed fields for an unknown one.
 */
export function keyMessage(allowed: string[]) {
  return function objectKeyMessage(issue: v.BaseIssue<unknown>): string {
    if (issue.expected === "never") return `unknown field; allowed: ${allowed.join(", ")}`;
    if (issue.expected === "Object") return `must be an object, got ${issue.received}`;
    return "required";
  };
}
