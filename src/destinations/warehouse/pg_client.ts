import postgres from "postgres";
import { type Cell, type SqlRunner, type WarehouseClient } from "./client.ts";
import { textForm } from "./column_types.ts";
import type { PostgresCredentials } from "./credentials.ts";
import { quotePg } from "./identifiers.ts";
import type { ColumnType, ExistingType, FlatValue } from "./types.ts";

const SQL_TYPES: Record<ColumnType, string> = {
  boolean: "boolean",
  bigint: "bigint",
  double: "double precision",
  timestamp: "timestamp with time zone",
  text: "text",
  json: "jsonb",
};

/** information_schema data_type -> our type; what is not here is foreign and left alone. */
const FROM_PG: Record<string, ColumnType> = {
  "boolean": "boolean",
  "bigint": "bigint",
  "double precision": "double",
  "numeric": "double",
  "real": "double",
  "timestamp with time zone": "timestamp",
  "timestamp without time zone": "timestamp",
  "text": "text",
  "character varying": "text",
  "jsonb": "json",
  "json": "json",
};

// SQLSTATEs after which the cached table shape cannot be trusted (PostgreSQL appendix A).
const STALE = new Set(["42P01", "42703", "42804", "22P02", "22003", "22007", "22008", "23502"]);

// Bind parameters per statement stay below the protocol's 65535 limit.
const MAX_PARAMS = 60000;
const MAX_ROWS = 1000;

/** Rows of `columns` columns a multi-row VALUES insert writes in one statement. */
function rowsPerValuesStatement(columns: number): number {
  return Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Math.max(1, columns))));
}

/** SQL types the core creates: a column of exactly one of them takes its values cast from text as is. */
const OWN_TYPES = new Set(Object.values(SQL_TYPES));

/** Separates the values of one column in a single text parameter; a value of NULL alone means SQL NULL. */
const RS = "\x1e";
const NULL_MARK = "\x1f";

// `($1, $2), ($3, $4)` for a rows x columns chunk: the same few shapes recur batch after batch.
const shapes = new Map<string, string>();

function valueTuples(rows: number, columns: number): string {
  const key = `${rows}x${columns}`;
  let text = shapes.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    for (let r = 0, n = 0; r < rows; r++) {
      const marks: string[] = [];
      for (let c = 0; c < columns; c++) marks.push(`$${++n}`);
      tuples.push(`(${marks.join(", ")})`);
    }
    text = tuples.join(", ");
    if (shapes.size > 256) shapes.clear();
    shapes.set(key, text);
  }
  return text;
}

/**
 * SQL giving one row, `ok`: whether the table `$tableParam` has every column of `$namesParam` with the type
 * at the same place in `$typesParam` (RS-separated). The column-wise insert casts its values to the types it
 * loaded; another writer (a second instance) may have widened a column since, and a value cast to the old
 * type and stored as text would read differently from what the VALUES insert stores. The check runs in the
 * insert's own statement, after the table is locked for it, so no change of type slips in between; a
 * mismatch inserts nothing and {@linkcode staleTypes} sends the core to reload the table and try again.
 */
function typesMatch(tableParam: number, namesParam: number, typesParam: number, count: number): string {
  return `select count(*) = ${count} as ok from pg_attribute a
      join unnest(string_to_array($${namesParam}, E'\\x1e'), string_to_array($${typesParam}, E'\\x1e')) as c(n, t)
        on a.attname = c.n and format_type(a.atttypid, null) = c.t
     where a.attrelid = $${tableParam}::regclass and a.attnum > 0 and not a.attisdropped`;
}

/** The error a column-wise insert throws when a column's type changed: a stale-schema SQLSTATE (42804). */
function staleTypes(table: string): Error {
  return Object.assign(new Error(`the column types of table ${table} changed since they were loaded`), {
    code: "42804",
  });
}

/** `string_to_array($n, RS, NULL_MARK)::type[]`: the n-th column's values, of SQL type `type`. */
function unnestArg(type: string, i: number): string {
  return `string_to_array($${i + 1}, E'\\x1e', E'\\x1f')::${type}[]`;
}

/**
 * Each column's values as one text, RS between them and NULL_MARK for a null, or null when a value cannot
 * travel that way (it holds RS or is NULL_MARK). One text parameter a column, where a multi-row VALUES
 * statement has one per cell: postgres.js encodes each parameter separately, and a batch of 1,000 rows of
 * 17 columns was 17,000 of them (about 15-20 µs of the server's CPU a row, against about 6).
 */
function columnTexts(rows: readonly Cell[][], ncol: number): string[] | null {
  const out: string[] = new Array(ncol);
  const parts: string[] = new Array(rows.length);
  for (let c = 0; c < ncol; c++) {
    for (let r = 0; r < rows.length; r++) {
      const x = rows[r][c];
      if (x === null) parts[r] = NULL_MARK;
      else if (typeof x === "string") {
        if (x.includes(RS) || x === NULL_MARK) return null;
        parts[r] = x;
      } else parts[r] = String(x);
    }
    out[c] = parts.join(RS);
  }
  return out;
}

/** postgres.js TLS options for a Jitsu sslMode (libpq semantics: require encrypts without verifying). */
export function pgSsl(c: PostgresCredentials): postgres.Options<Record<string, never>>["ssl"] {
  const files = {
    ...(c.sslServerCA ? { ca: c.sslServerCA } : {}),
    ...(c.sslClientCert ? { cert: c.sslClientCert } : {}),
    ...(c.sslClientKey ? { key: c.sslClientKey } : {}),
  };
  switch (c.sslMode) {
    case "disable":
      return false;
    case "require":
      return Object.keys(files).length ? { ...files, rejectUnauthorized: false } : "require";
    case "verify-ca":
      // Chain checked against the CA, host name not (libpq verify-ca).
      return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case "verify-full":
      return { ...files, rejectUnauthorized: true };
  }
}

/**
 * postgres.js serialises every parameter bound to a json/jsonb column with JSON.stringify, so a value
 * already in JSON text (what `encode()` hands over) would land as a JSON string: `"[\"a\"]"` instead
 * of `["a"]`. Strings pass through as JSON text (node-postgres does the same); anything else is
 * stringified once.
 */
function jsonParameter(x: unknown): string {
  return typeof x === "string" ? x : JSON.stringify(x);
}

/** Opens a postgres.js pool for the warehouse; connections are made on first use. */
export function openPgSql(c: PostgresCredentials, { max = 4 } = {}): postgres.Sql {
  return postgres({
    host: c.host,
    port: Number(c.port),
    database: c.database,
    username: c.username,
    password: c.password,
    ssl: pgSsl(c),
    max,
    prepare: false, // statement text varies with row counts; server-side caching would only pile up
    connect_timeout: 10,
    idle_timeout: 60,
    onnotice: function ignoreNotice() {},
    connection: { application_name: "sluice-warehouse" },
    types: {
      json: { to: 114, from: [114, 3802], serialize: jsonParameter, parse: JSON.parse },
    },
  });
}

/** The warehouse client for PostgreSQL over postgres.js. */
export function pgClient(c: PostgresCredentials, { max = 4 } = {}): WarehouseClient {
  const sql = openPgSql(c, { max });
  const schema = c.defaultSchema;

  function run(q: postgres.Sql | postgres.TransactionSql, text: string, params: unknown[] = []) {
    // deno-lint-ignore no-explicit-any
    return q.unsafe(text, params as any[]) as unknown as Promise<Record<string, unknown>[]>;
  }
  const table = (name: string) => `${quotePg(schema)}.${quotePg(name)}`;
  // Per table, the SQL type of each column that has exactly a type the core creates, as last loaded from
  // the server: the columns a column-wise insert can cast to. DDL forgets a table's (the core loads the
  // table again after any: a table or column another writer made first may differ from ours).
  const ownTypes = new Map<string, Map<string, string>>();

  return {
    kind: "postgres",
    maxNameLength: 63,
    target: `${c.host}:${c.port}/${c.database}/${schema}`,
    table,
    quote: quotePg,
    sqlType: (type) => SQL_TYPES[type],
    query: (text, params) => run(sql, text, params),
    async loadColumns(name) {
      const rows = await run(
        sql,
        "select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2",
        [schema, name],
      );
      ownTypes.delete(name);
      if (rows.length === 0) return null;
      const own = new Map<string, string>();
      ownTypes.set(name, own);
      for (const r of rows) {
        if (OWN_TYPES.has(String(r.data_type))) own.set(String(r.column_name), String(r.data_type));
      }
      return new Map(rows.map((r) => [String(r.column_name), FROM_PG[String(r.data_type)] ?? "foreign"]));
    },
    async createTable(name, columns, primaryKey) {
      const defs = columns.map(([col, type]) => `${quotePg(col)} ${SQL_TYPES[type]}`);
      if (primaryKey.length) {
        defs.push(
          `constraint ${quotePg(`${name}_pk`.slice(0, 63))} primary key (${
            primaryKey.map(quotePg).join(", ")
          })`,
        );
      }
      ownTypes.delete(name);
      await run(sql, `create table if not exists ${table(name)} (${defs.join(", ")})`);
    },
    async addColumn(name, column, type) {
      ownTypes.delete(name);
      await run(
        sql,
        `alter table ${table(name)} add column if not exists ${quotePg(column)} ${SQL_TYPES[type]}`,
      );
    },
    async widenColumn(name, column, type) {
      const t = SQL_TYPES[type];
      const q = quotePg(column);
      ownTypes.delete(name);
      await run(sql, `alter table ${table(name)} alter column ${q} type ${t} using ${q}::${t}`);
    },
    encode(value: FlatValue, type: ExistingType): Cell {
      if (type === "json") return JSON.stringify(value);
      if (type === "text" || type === "foreign") return textForm(value);
      return value as Cell;
    },
    // The column-wise statement takes any number of rows; the VALUES one is cut in chunks of this many.
    oneStatementRows: rowsPerValuesStatement,
    async insert(tx, name, columns, rows, upsertKey) {
      const per = rowsPerValuesStatement(columns.length);
      const into = `insert into ${table(name)} (${columns.map(quotePg).join(", ")}) `;
      const head = `${into}values `;
      let tail = "";
      if (upsertKey?.length) {
        const rest = columns.filter((col) => !upsertKey.includes(col));
        tail = ` on conflict (${upsertKey.map(quotePg).join(", ")}) ` +
          (rest.length
            ? `do update set ${rest.map((col) => `${quotePg(col)} = excluded.${quotePg(col)}`).join(", ")}`
            : "do nothing");
      }
      const own = ownTypes.get(name);
      const casts = own && columns.map((col) => own.get(col));
      if (
        rows.length > 1 && casts?.every((t) => t !== undefined) && !columns.some((col) => col.includes(RS))
      ) {
        const params = columnTexts(rows, columns.length);
        if (params) {
          const n = params.length;
          const [ok] = await tx.query(
            `with ok as (${typesMatch(n + 1, n + 2, n + 3, columns.length)}),
              ins as (${into}select u.* from unnest(${
              casts.map(unnestArg).join(", ")
            }) as u, ok where ok.ok${tail})
             select ok from ok`,
            [...params, table(name), columns.join(RS), casts.join(RS)],
          );
          if (ok?.ok !== true) throw staleTypes(name);
          return;
        }
      }
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        await tx.query(head + valueTuples(chunk.length, columns.length) + tail, chunk.flat());
      }
    },
    async transaction(fn) {
      return await sql.begin(async function inTransaction(tx) {
        return await fn({ query: (text, params) => run(tx, text, params) });
      }) as Awaited<ReturnType<typeof fn>>;
    },
    isStaleSchema(e) {
      return STALE.has(String((e as { code?: unknown })?.code ?? ""));
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  } satisfies WarehouseClient & SqlRunner;
}
