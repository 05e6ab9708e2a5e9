import { flattenObject } from "./flatten.ts";
import { sanitizeName } from "./identifiers.ts";
import type { DataLayout, MappedRow, WarehouseEvent } from "./types.ts";

/** The property a function sets to pick the table (Jitsu's name); `$table` is the short form. */
export const TABLE_NAME_PARAMETER = "JITSU_TABLE_NAME";
const TABLE_KEYS = [TABLE_NAME_PARAMETER, "$table"];

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

// Layouts copy events a few times over; these copies are plain `for...in` loops: the same keys in the
// same order as spreads and `Object.entries`, without the entry arrays (spreads and entries were a
// fifth of a batch's mapping time).
function obj(): Obj {
  return {};
}

/** Copies `from`'s own keys into `to` (a spread), leaving out `skip`. */
function assign(to: Obj, from: Obj, skip?: readonly string[]): Obj {
  for (const k in from) {
    if (!Object.hasOwn(from, k) || (skip !== undefined && skip.includes(k))) continue;
    // A key named `__proto__` (JSON.parse makes it an own key) stays an ordinary key, as in a spread.
    if (k === "__proto__") {
      Object.defineProperty(to, k, { value: from[k], enumerable: true, writable: true, configurable: true });
    } else to[k] = from[k];
  }
  return to;
}

function omit(o: unknown, keys: readonly string[]): Obj {
  return isObj(o) ? assign(obj(), o, keys) : obj();
}

/** Segment table names for the multi-table layout. */
function plural(type: string): string {
  return { identify: "identifies", page: "pages", track: "tracks", group: "groups" }[type] ?? type;
}

/** The context with traits merged in and `groupId` lifted out, as the single-table layout stores it. */
function contextWithTraits(e: Obj, extraTraits: Obj): Obj | undefined {
  const ctx = isObj(e.context) ? e.context : undefined;
  if (!ctx && isEmpty(extraTraits)) return undefined;
  const traits = obj();
  if (isObj(ctx?.traits)) assign(traits, ctx.traits);
  assign(traits, extraTraits);
  const out = ctx ? assign(obj(), ctx) : obj();
  out.traits = omit(traits, ["groupId"]);
  out.groupId = traits.groupId;
  return out;
}

function isEmpty(o: Obj): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}

const NOT_DATA = ["context", "properties", "traits", "type", ...TABLE_KEYS];
const NO_TRAITS = ["traits"];

/**
 * Segment layouts (after Jitsu's core-functions bulker-destination): properties and traits are lifted
 * to the top, keys snake_cased. Single-table keeps traits under `context_traits_*`; multi-table puts
 * identify traits at the top and writes a track twice: to `tracks` (without properties) and to a table
 * named after the event.
 */
function segmentRows(e: Obj, singleTable: boolean): { table: string; data: Obj }[] {
  const type = String(e.type ?? "");
  const props = isObj(e.properties) ? e.properties : {};
  const traits = isObj(e.traits) ? e.traits : {};
  if (singleTable) {
    // { context, ...props, ...rest, type } with rest = the event without NOT_DATA, in one object.
    const data = obj();
    if (type === "identify") {
      data.context = contextWithTraits(e, traits);
      assign(data, props);
      assign(data, e, NOT_DATA);
    } else if (type === "group") {
      const ctx = assign(obj(), isObj(e.context) ? e.context : {});
      ctx.group = traits;
      ctx.groupId = e.groupId;
      data.context = ctx;
      assign(data, props);
      assign(data, e, [...NOT_DATA, "groupId"]);
    } else if (type === "track") {
      data.context = contextWithTraits(e, isObj(props.traits) ? props.traits : {});
      assign(data, props, NO_TRAITS);
      assign(data, e, NOT_DATA);
    } else {
      data.context = contextWithTraits(e, {});
      assign(data, props);
      assign(data, e, NOT_DATA);
    }
    data.type = type;
    return [{ table: "events", data }];
  }
  const rest = omit(e, NOT_DATA);
  const ctxNoTraits = isObj(e.context) ? omit(e.context, ["traits"]) : undefined;
  if (type === "identify") {
    const ctxTraits = isObj(e.context) && isObj(e.context.traits) ? e.context.traits : {};
    const data = { context: ctxNoTraits, ...props, ...ctxTraits, ...traits, ...rest };
    return [{ table: "identifies", data }];
  }
  if (type === "group") {
    return [{
      table: "groups",
      data: { context: ctxNoTraits, ...props, ...traits, ...rest },
    }];
  }
  const withContext = { ...omit(e, ["properties", "type", ...TABLE_KEYS]) };
  if (type === "track" && typeof e.event === "string" && e.event) {
    return [
      { table: "tracks", data: withContext },
      { table: e.event, data: { ...props, ...withContext } },
    ];
  }
  return [{ table: plural(type), data: { ...props, ...withContext } }];
}

/**
 * Maps one event to the rows a warehouse stores, per data layout. `$table` / `JITSU_TABLE_NAME`
 * (set by a function) overrides the table. Names are sanitised; values flattened.
 */
export function mapEvent(event: WarehouseEvent, layout: DataLayout, maxNameLength = 63): MappedRow[] {
  let override: string | undefined;
  for (const k of TABLE_KEYS) {
    const x = event[k];
    if (typeof x === "string" && x !== "") {
      override = x;
      break;
    }
  }
  let rows: { table: string; data: Obj }[];
  if (layout === "passthrough") {
    rows = [{ table: "events", data: omit(event, TABLE_KEYS) }];
  } else {
    rows = segmentRows(event, layout === "segment-single-table");
    if (override) rows = [{ table: override, data: { ...rows[rows.length - 1].data, type: event.type } }];
  }
  if (override) rows = [{ table: override, data: rows[rows.length - 1].data }];
  return rows.map(({ table, data }) => ({
    table: sanitizeName(table, maxNameLength),
    row: flattenObject(data, { maxNameLength, snakeCase: layout !== "passthrough" }),
  }));
}
