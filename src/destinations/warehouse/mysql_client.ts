import mysql from "mysql2/promise";
import type { Cell, SqlRunner, WarehouseClient } from "./client.ts";
import { textForm } from "./column_types.ts";
import type { MysqlCredentials } from "./credentials.ts";
import { quoteMysql } from "./identifiers.ts";
import type { ColumnType, ExistingType, FlatValue } from "./types.ts";

const SQL_TYPES: Record<ColumnType, string> = {
  boolean: "boolean",
  bigint: "bigint",
  double: "double",
  timestamp: "datetime(6)",
  text: "longtext",
  json: "json",
};

/** information_schema DATA_TYPE -> our type (MariaDB reports JSON as longtext: that reads as text). */
const FROM_MYSQL: Record<string, ColumnType> = {
  bigint: "bigint",
  double: "double",
  float: "double",
  decimal: "double",
  datetime: "timestamp",
  timestamp: "timestamp",
  longtext: "text",
  mediumtext: "text",
  text: "text",
  varchar: "text",
  char: "text",
  json: "json",
};

// Error numbers after which the cached table shape cannot be trusted (MariaDB error reference).
const STALE = new Set([1146, 1054, 1366, 1264, 1292, 1406, 1265, 1048, 4025]);

const MAX_ROWS = 1000;
const MAX_PARAMS = 60000;

/** mysql2 TLS options for Jitsu's `parameters.tls` (go-sql-driver names). */
export function mysqlSsl(tls: string | undefined): mysql.SslOptions | undefined {
  if (tls === "true") return { rejectUnauthorized: true };
  if (tls === "skip-verify" || tls === "preferred") return { rejectUnauthorized: false };
  return undefined;
}

/** mysql2 pool options for the credentials; `plain` drops TLS (the `preferred` fallback). */
export function mysqlPoolOptions(c: MysqlCredentials, { plain = false } = {}): mysql.PoolOptions {
  const ssl = plain ? undefined : mysqlSsl(c.parameters.tls);
  return {
    host: c.host,
    port: Number(c.port),
    database: c.database,
    user: c.username,
    password: c.password ?? "",
    ssl,
    connectionLimit: 4,
    connectTimeout: 10000,
    dateStrings: true,
    supportBigNumbers: true,
    // Each distinct statement is prepared per connection; keep the cache small so the server's
    // global max_prepared_stmt_count is never exhausted.
    maxPreparedStatements: 64,
  };
}

/**
 * Opens a pool; with tls `preferred` it tries TLS first and falls back to plain when the server has
 * none (go-sql-driver's `preferred`).
 */
export async function openMysqlPool(c: MysqlCredentials, { max = 4 } = {}): Promise<mysql.Pool> {
  const pool = mysql.createPool({ ...mysqlPoolOptions(c), connectionLimit: max });
  if (c.parameters.tls !== "preferred") return pool;
  try {
    (await pool.getConnection()).release();
    return pool;
  } catch (e) {
    if ((e as { code?: string }).code !== "HANDSHAKE_NO_SSL_SUPPORT") throw await endThen(pool, e);
    await pool.end();
    return mysql.createPool({ ...mysqlPoolOptions(c, { plain: true }), connectionLimit: max });
  }
}

async function endThen(pool: mysql.Pool, e: unknown): Promise<unknown> {
  await pool.end().catch(() => {});
  return e;
}

// `2026-01-01T00:00:00.123Z` is already UTC: DATETIME(6) wants `2026-01-01 00:00:00.123`.
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function toDatetime(value: FlatValue): string {
  const s = String(value);
  if (UTC_ISO.test(s)) return `${s.slice(0, 10)} ${s.slice(11, -1)}`;
  return new Date(s).toISOString().replace("T", " ").replace("Z", "");
}

// MariaDB's JSON is `longtext` with a `json_valid(col)` check constraint.
const JSON_VALID = /^json_valid\(`((?:[^`]|``)+)`\)$/i;

/**
 * Columns of a MariaDB table declared JSON (information_schema says `longtext` for them). Knowing
 * them keeps a value that is not JSON (a string in a column that so far held arrays) from failing the
 * check: the column is widened to text instead. MySQL reports `json` itself and has no `table_name`
 * in check_constraints, so there the query fails and the answer is empty.
 */
async function mariadbJsonColumns(pool: mysql.Pool, db: string, name: string): Promise<Set<string>> {
  try {
    const [rows] = await pool.execute(
      "select check_clause as clause from information_schema.check_constraints " +
        "where constraint_schema = ? and table_name = ?",
      [db, name],
    );
    const out = new Set<string>();
    for (const r of rows as Record<string, unknown>[]) {
      const m = JSON_VALID.exec(String(r.clause).trim());
      if (m) out.add(m[1].replaceAll("``", "`"));
    }
    return out;
  } catch (e) {
    // 1054 unknown column (MySQL), 1109 unknown table (no check_constraints before MariaDB 10.2).
    if ([1054, 1109].includes(Number((e as { errno?: unknown })?.errno))) return new Set();
    throw e;
  }
}

/** The warehouse client for MySQL/MariaDB over mysql2 (server-side prepared statements). */
export async function mysqlClient(c: MysqlCredentials, { max = 4 } = {}): Promise<WarehouseClient> {
  const pool = await openMysqlPool(c, { max });
  const db = c.database;
  const table = (name: string) => `${quoteMysql(db)}.${quoteMysql(name)}`;

  async function run(q: mysql.Pool | mysql.PoolConnection, text: string, params?: unknown[]) {
    // Bound parameters, never spliced text: safe whatever the server's sql_mode.
    const [rows] = params?.length
      ? await q.execute(text, params as mysql.ExecuteValues)
      : await q.query(text);
    return (Array.isArray(rows) ? rows : []) as Record<string, unknown>[];
  }

  return {
    kind: "mysql",
    maxNameLength: 64,
    target: `${c.host}:${c.port}/${db}`,
    table,
    quote: quoteMysql,
    sqlType: (type, primaryKey) => (primaryKey && type === "text" ? "varchar(255)" : SQL_TYPES[type]),
    query: (text, params) => run(pool, text, params),
    async loadColumns(name) {
      const rows = await run(
        pool,
        "select column_name as name, data_type as type, column_type as full_type from information_schema.columns " +
          "where table_schema = ? and table_name = ?",
        [db, name],
      );
      if (rows.length === 0) return null;
      const json = await mariadbJsonColumns(pool, db, name);
      return new Map(rows.map((r) => {
        const type = String(r.type).toLowerCase();
        if (type === "tinyint") {
          return [String(r.name), String(r.full_type).startsWith("tinyint(1)") ? "boolean" : "foreign"];
        }
        if (type === "longtext" && json.has(String(r.name))) return [String(r.name), "json"];
        return [String(r.name), FROM_MYSQL[type] ?? "foreign"];
      }));
    },
    async createTable(name, columns, primaryKey) {
      const defs = columns.map(([col, type]) =>
        `${quoteMysql(col)} ${
          primaryKey.includes(col) && type === "text" ? "varchar(255)" : SQL_TYPES[type]
        }` +
        (primaryKey.includes(col) ? " not null" : "")
      );
      if (primaryKey.length) defs.push(`primary key (${primaryKey.map(quoteMysql).join(", ")})`);
      await run(
        pool,
        `create table if not exists ${table(name)} (${defs.join(", ")}) default charset = utf8mb4`,
      );
    },
    async addColumn(name, column, type) {
      await run(
        pool,
        `alter table ${table(name)} add column if not exists ${quoteMysql(column)} ${SQL_TYPES[type]}`,
      );
    },
    async widenColumn(name, column, type) {
      await run(pool, `alter table ${table(name)} modify column ${quoteMysql(column)} ${SQL_TYPES[type]}`);
    },
    encode(value: FlatValue, type: ExistingType): Cell {
      if (type === "json") return JSON.stringify(value);
      if (type === "text" || type === "foreign") return textForm(value);
      if (type === "timestamp") return toDatetime(value);
      if (type === "boolean") return value ? 1 : 0;
      return value as Cell;
    },
    async insert(tx, name, columns, rows, upsertKey) {
      const per = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / columns.length)));
      const head = `insert into ${table(name)} (${columns.map(quoteMysql).join(", ")}) values `;
      const tuple = `(${columns.map(() => "?").join(", ")})`;
      let full = "";
      let tail = "";
      if (upsertKey?.length) {
        const rest = columns.filter((col) => !upsertKey.includes(col));
        const set = (rest.length ? rest : upsertKey).map((col) =>
          `${quoteMysql(col)} = values(${quoteMysql(col)})`
        );
        tail = ` on duplicate key update ${set.join(", ")}`;
      }
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        // Full chunks share one statement text (and so one prepared statement per connection).
        const values = chunk.length === per
          ? (full ||= Array(per).fill(tuple).join(", "))
          : Array(chunk.length).fill(tuple).join(", ");
        await tx.query(head + values + tail, chunk.flat());
      }
    },
    async transaction(fn) {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        const out = await fn({ query: (text, params) => run(conn, text, params) });
        await conn.commit();
        return out;
      } catch (e) {
        await conn.rollback().catch(() => {});
        throw e;
      } finally {
        conn.release();
      }
    },
    isStaleSchema(e) {
      return STALE.has(Number((e as { errno?: unknown })?.errno ?? 0));
    },
    async close() {
      await pool.end();
    },
  } satisfies WarehouseClient & SqlRunner;
}
