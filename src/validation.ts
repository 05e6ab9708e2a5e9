import * as v from "valibot";
import { type FieldIssue, ValidationError } from "./errors.ts";

/** Turns Valibot issues into `{path, message}` pairs; the path is dotted (`data.functions.0.functionId`). */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    // A union's own issue hides the useful ones: report the nested issues when there are any.
    if (issue.type === "union" && issue.issues?.length) {
      out.push(...toFieldIssues(issue.issues));
      continue;
    }
    const path = v.getDotPath(issue) ?? "";
    // Valibot reports a missing key as "Invalid key: Expected "x" but received undefined".
    const missingKey =
      (issue.type === "object" || issue.type === "strict_object" || issue.type === "loose_object") &&
      issue.received === "undefined" && issue.path?.length;
    const message = missingKey ? "required" : issue.message;
    if (!out.some((o) => o.path === path && o.message === message)) out.push({ path, message });
  }
  return out;
}

/** `credentials.host: required; name: required` */
export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}

/**
 * Validates `input` against `schema`; throws a ValidationError whose message starts with `action`
 * ("Cannot create destination") and names every failing field.
 */
export function parseInput<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  action: string,
): v.InferOutput<S> {
  const res = v.safeParse(schema, input, { abortEarly: false });
  if (res.success) return res.output;
  const issues = toFieldIssues(res.issues);
  throw new ValidationError(`${action}: ${describeIssues(issues)}`, issues);
}

/** The largest page size a list takes. */
export const MAX_PAGE_LIMIT = 1000;
/** The page size of a list when none is given. */
export const DEFAULT_PAGE_LIMIT = 100;

/** A page size: a whole number from 1 to 1000, 100 when absent. */
export const LimitSchema = v.optional(
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(1, "at least 1"),
    v.maxValue(MAX_PAGE_LIMIT, `at most ${MAX_PAGE_LIMIT}`),
  ),
  DEFAULT_PAGE_LIMIT,
);
