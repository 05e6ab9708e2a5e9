import type { WarehouseClient } from "./client.ts";
import { fits, widen } from "./column_types.ts";
import type { ColumnType, ExistingType } from "./types.ts";

/** Values that fit no column of their name (a foreign column) are kept here as JSON. */
export const UNMAPPED_COLUMN = "_unmapped_data";

export type Columns = Map<string, ExistingType>;

function isRace(e: unknown): boolean {
  // Two writers creating the same table/column at once: unique_violation / duplicate_table / duplicate_column.
  const code = String((e as { code?: unknown })?.code ?? "");
  const errno = Number((e as { errno?: unknown })?.errno ?? 0);
  return ["23505", "42P07", "42701"].includes(code) || [1050, 1060].includes(errno);
}

/**
 * Knows the columns of every table it has written to and evolves them: creates a table on first
 * write, adds columns for new properties, widens a column on a type conflict (bigint -> double ->
 * text), and routes a value that no evolution can hold (a foreign column) to `_unmapped_data`; a
 * key column is never altered either (a key value that does not fit fails its row). The cache is dropped for a table whenever the warehouse proves it stale.
 */
export class SchemaCache {
  #tables = new Map<string, Columns>();

  constructor(readonly client: WarehouseClient) {}

  /** Forgets a table (it was dropped or altered by someone else). */
  invalidate(table: string): void {
    this.#tables.delete(table);
  }

  /** The cached columns, if any (for tests and status entries). */
  cached(table: string): Columns | undefined {
    return this.#tables.get(table);
  }

  async #load(table: string): Promise<Columns | null> {
    const cols = await this.client.loadColumns(table);
    if (cols) this.#tables.set(table, cols);
    else this.#tables.delete(table);
    return cols;
  }

  /**
   * Makes `table` able to hold columns of the given types and returns its columns afterwards.
   * `needed` holds, per column, the widest type the batch's values ask for.
   */
  async ensure(table: string, needed: Map<string, ColumnType>, primaryKey: string[]): Promise<Columns> {
    let cols = this.#tables.get(table) ?? await this.#load(table);
    if (!cols) {
      const defs: [string, ColumnType][] = [...needed];
      for (const k of primaryKey) if (!needed.has(k)) defs.push([k, "text"]);
      try {
        await this.client.createTable(table, defs, primaryKey);
      } catch (e) {
        if (!isRace(e)) throw e;
      }
      cols = await this.#load(table);
      if (!cols) {
        throw new Error(`Cannot create table ${this.client.table(table)}: it is still missing afterwards`);
      }
    }
    let changed = false;
    let needUnmapped = false;
    // What `_unmapped_data` is after the loop: an event property of that name may have made it, of
    // any type, before any value needed it for JSON.
    let unmappedType = cols.get(UNMAPPED_COLUMN);
    for (const [name, type] of needed) {
      const existing = cols.get(name);
      if (existing === undefined) {
        await this.#ddl(() => this.client.addColumn(table, name, type));
        changed = true;
        if (name === UNMAPPED_COLUMN) unmappedType = type;
      } else if (!fits(existing, type)) {
        if (existing === "foreign") {
          needUnmapped = true;
        } else if (primaryKey.includes(name)) {
          // Never altered; rows whose key does not fit are left out (prepare.ts), nothing moves aside.
        } else {
          const wider = widen(existing, type);
          await this.#ddl(() => this.client.widenColumn(table, name, wider));
          changed = true;
          if (name === UNMAPPED_COLUMN) unmappedType = wider;
        }
      }
    }
    if (needUnmapped) {
      if (unmappedType === undefined) {
        await this.#ddl(() => this.client.addColumn(table, UNMAPPED_COLUMN, "json"));
        changed = true;
      } else if (
        unmappedType !== "foreign" && !primaryKey.includes(UNMAPPED_COLUMN) && !fits(unmappedType, "json")
      ) {
        // Made by event values (a number, say): widened like any column so it holds the JSON too.
        const wider = widen(unmappedType, "json");
        await this.#ddl(() => this.client.widenColumn(table, UNMAPPED_COLUMN, wider));
        changed = true;
      }
    }
    return changed ? (await this.#load(table))! : cols;
  }

  async #ddl(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }
}
