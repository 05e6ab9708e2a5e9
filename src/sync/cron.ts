/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week) evaluated in an IANA time
 * zone: `*`, lists, ranges and steps (`*\/15`, `1-5`, `0,30`), day names and month names. As in Vixie
 * cron, when both day fields are restricted a day matching either one fires.
 */

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

/** A parsed expression: the allowed values of each field. */
export interface Cron {
  fields: Set<number>[];
  /** Whether day of month / day of week were `*`. */
  anyDom: boolean;
  anyDow: boolean;
}

function value(s: string, f: typeof FIELDS[number]): number {
  const names = "names" in f ? f.names as readonly string[] : [];
  const named = names.indexOf(s.toLowerCase());
  if (named >= 0) return named + (f.min === 1 ? 1 : 0);
  if (!/^\d+$/.test(s)) throw new Error(`${f.name}: "${s}" is not a number`);
  const n = Number(s);
  if (n < f.min || n > f.max) throw new Error(`${f.name}: ${n} is outside ${f.min}-${f.max}`);
  return n;
}

/** Parses an expression; throws an Error saying which field is wrong. */
export function parseCron(expr: string): Cron {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new Error(`expected 5 fields (minute hour day month weekday), got ${parts.length}`);
  }
  const fields = parts.map((part, i) => {
    const f = FIELDS[i];
    const out = new Set<number>();
    for (const item of part.split(",")) {
      const [range, stepText] = item.split("/");
      const step = stepText === undefined ? 1 : Number(stepText);
      if (!Number.isInteger(step) || step < 1) throw new Error(`${f.name}: bad step "${stepText}"`);
      let lo: number, hi: number;
      if (range === "*") [lo, hi] = [f.min, f.max];
      else if (range.includes("-")) {
        const [a, b] = range.split("-");
        [lo, hi] = [value(a, f), value(b, f)];
        if (lo > hi) throw new Error(`${f.name}: range "${range}" goes backwards`);
      } else {
        lo = value(range, f);
        hi = stepText === undefined ? lo : f.max;
      }
      for (let n = lo; n <= hi; n += step) out.add(i === 4 && n === 7 ? 0 : n);
    }
    return out;
  });
  return { fields, anyDom: parts[2] === "*", anyDow: parts[4] === "*" };
}

/** Whether `tz` is a time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(d: Date, tz: string) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      minute: "numeric",
      hour: "numeric",
      day: "numeric",
      month: "numeric",
      weekday: "short",
    });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  const dow = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(p.weekday);
  return { minute: Number(p.minute), hour: Number(p.hour), day: Number(p.day), month: Number(p.month), dow };
}

/** Whether the minute containing `d` (wall clock in `tz`) matches. */
export function cronMatches(cron: Cron, d: Date, tz: string): boolean {
  const w = wallClock(d, tz);
  const [min, hour, dom, month, dow] = cron.fields;
  if (!min.has(w.minute) || !hour.has(w.hour) || !month.has(w.month)) return false;
  const domOk = dom.has(w.day);
  const dowOk = dow.has(w.dow);
  if (cron.anyDom || cron.anyDow) return domOk && dowOk;
  return domOk || dowOk;
}
