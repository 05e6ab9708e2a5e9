import * as v from "valibot";

/**
 * A tool's `limit` argument: any whole number from 1; one over `max` is clamped to `max` (Jitsu's MCP
 * tools clamp too) and the result says so in `notice`. Below 1 or not a whole number is still an error.
 */
export function clampedLimitArg(max: number, def: number, what: string) {
  return v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.description(
        `How many ${what} (default ${def}, at most ${max}: a larger limit is clamped to ${max} and the ` +
          "result's notice says so).",
      ),
    ),
  );
}

/** The fields a result with a clamped limit adds: the limit used, and a notice when it was clamped. */
export const LimitOutput = {
  limit: v.number(),
  notice: v.optional(v.string()),
};

/** `args` with `limit` clamped to `max`, and the notice to return when it was. */
export function clampLimit(
  args: Record<string, unknown>,
  max: number,
): { args: Record<string, unknown>; notice: string | null } {
  const limit = args.limit;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= max) return { args, notice: null };
  return {
    args: { ...args, limit: max },
    notice:
      `limit ${limit} is over the maximum of ${max}: clamped to ${max}. Page with offset or cursor for more.`,
  };
}
