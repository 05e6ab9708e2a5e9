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

function omit(o: unknown, keys: string[]): Obj {
  if (!isObj(o)) return {};
  const out: Obj = {};
  for (const [k, x] of Object.entries(o)) if (!keys.includes(k)) out[k] = x;
  return out;
}

/** Segment table names for the multi-table layout. */
function plural(type: string): string {
  return { identify: "identifies", page: "pages", track: "tracks", group: "groups" }[type] ?? type;
}

/** The context with traits merged in and `groupId` lifted out, as the single-table layout stores it. */
function contextWithTraits(e: Obj, extraTraits: Obj): Obj | undefined {
  const ctx = isObj(e.context) ? e.context : undefined;
  if (!ctx && Object.keys(extraTraits).length === 0) return undefined;
  const ctxTraits = isObj(ctx?.traits) ? ctx.traits : {};
  const traits = { ...ctxTraits, ...extraTraits };
  return { ...ctx, traits: omit(traits, ["groupId"]), groupId: traits.groupId };
}

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
  const rest = omit(e, ["context", "properties", "traits", "type", ...TABLE_KEYS]);
  if (singleTable) {
    let data: Obj;
    if (type === "identify") {
      data = { context: contextWithTraits(e, traits), ...props, ...rest };
    } else if (type === "group") {
      const ctx = isObj(e.context) ? e.context : {};
      data = { context: { ...ctx, group: traits, groupId: e.groupId }, ...props, ...omit(rest, ["groupId"]) };
    } else if (type === "track") {
      const propTraits = isObj(props.traits) ? props.traits : {};
      data = { context: contextWithTraits(e, propTraits), ...omit(props, ["traits"]), ...rest };
    } else {
      data = { context: contextWithTraits(e, {}), ...props, ...rest };
    }
    return [{ table: "events", data: { ...data, type } }];
  }
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
  const override = TABLE_KEYS.map((k) => event[k]).find((x) => typeof x === "string" && x !== "") as
    | string
    | undefined;
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
