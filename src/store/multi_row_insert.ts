import type { Queryable } from "./db.ts";

/**
 * Inserts rows with multi-row `INSERT ... VALUES (...), (...)` statements of at most `rowsPerStatement` rows
 * (GOTCHAS: faster than unnest or COPY through postgres.js here). `values(row)` gives one row's parameters in
 * the order of `columns`. PostgreSQL takes at most 65,535 parameters a statement: keep
 * `rowsPerStatement * columns.length` under that.
 */
export async function insertRows<T>(
  db: Queryable,
  table: string,
  columns: readonly string[],
  rows: readonly T[],
  values: (row: T) => unknown[],
  rowsPerStatement: number,
): Promise<void> {
  const width = columns.length;
  if (rowsPerStatement * width > 65_535) {
    throw new Error(`${table}: ${rowsPerStatement} rows exceed 65,535 parameters`);
  }
  for (let from = 0; from < rows.length; from += rowsPerStatement) {
    const chunk = rows.slice(from, from + rowsPerStatement);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      const n = params.length;
      const v = values(row);
      if (v.length !== width) throw new Error(`${table}: ${v.length} values for ${width} columns`);
      params.push(...v);
      tuples.push(`(${v.map((_, k) => `$${n + k + 1}`).join(", ")})`);
    }
    await db.query(`insert into ${table} (${columns.join(", ")}) values ${tuples.join(", ")}`, params);
  }
}
