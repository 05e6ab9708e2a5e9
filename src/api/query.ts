import { ValidationError } from "../errors.ts";

/** A whole-number query parameter; absent gives undefined, anything else a 400 naming it. */
export function intQuery(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw new ValidationError(`Query parameter ${name} must be a whole number`, [{
      path: name,
      message: "must be a whole number",
    }]);
  }
  return Number(value);
}

/** `true`/`1`/`false`/`0` (or a bare `?flag`); anything else is a 400 naming it. */
export function boolQuery(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "" || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ValidationError(`Query parameter ${name} must be true or false`, [{
    path: name,
    message: "must be true or false",
  }]);
}

/** `a,b,c` -> `["a","b","c"]`; absent or empty gives undefined. */
export function listQuery(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}
