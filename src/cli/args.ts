import { parseArgs } from "node:util";
import { UsageError } from "./io.ts";

type Opt = { type: "string" | "boolean"; short?: string };

/** Parses flags strictly: an unknown flag or a missing value is a UsageError (exit 2). */
export function parseFlags<O extends Record<string, Opt>>(args: string[], options: O) {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return values as { [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean } & {
      help?: boolean;
    };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
}

/** A required string flag. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/** `never` | `30d` | an ISO date -> Date or null (never expires). */
export function parseExpires(value: string | undefined, now: Date): Date | null {
  if (value === undefined || value === "never") return null;
  const days = /^(\d{1,5})d$/.exec(value);
  if (days) return new Date(now.getTime() + Number(days[1]) * 86_400_000);
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new UsageError(
      `--expires must be "never", a number of days like "30d", or an ISO date; got "${value}"`,
    );
  }
  return d;
}
