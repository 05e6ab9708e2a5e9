/**
 * The warehouse core's client for ClickHouse (src/destinations/warehouse/client.ts), over the HTTP
 * interface. Tables follow bulker: `ReplacingMergeTree` ordered by the connection's primary key (a
 * resend replaces its row when parts merge; reads that must not see duplicates use `FINAL`), plain
 * `MergeTree ORDER BY tuple()` without deduplication, `PARTITION BY toYYYYMM(timestamp)` when the
 * timestamp is part of the key, and with `cluster` every DDL statement `ON CLUSTER` with the
 * `Replicated*` engine. Non-key columns are `Nullable`. Rows go in as `INSERT ... FORMAT JSONEachRow`.
 *
 * Only SQL that both ClickHouse 18.16 (Debian's package, what the tests run against) and today's
 * releases accept: no `IF NOT EXISTS` on ADD COLUMN (18.16 lacks it: a duplicate column, code 44, is
 * taken as a concurrent writer's success), no JSON type (JSON is kept in String), and `DateTime64(6)`
 * only on servers from 20.1 on (older ones get `DateTime`, whole seconds).
 */
import type { Cell, SqlRunner, WarehouseClient } from "../warehouse/client.ts";
import type { ColumnType, ExistingType, FlatValue } from "../warehouse/types.ts";
import type { ClickhouseCredentials } from "./credentials.ts";
import { ClickhouseError, ClickhouseHttp, type ClickhouseHttpOptions } from "./http.ts";
import { type JsonRows, JsonRowsWriter } from "./json_rows.ts";

/** Error codes after which the cached table shape cannot be trusted (ClickHouse ErrorCodes.cpp). */
const STALE = new Set([6, 8, 16, 26, 27, 38, 41, 47, 53, 60, 70, 72, 117]);
/** `Cannot add column x: column with this name already exists` and friends. */
const DUPLICATE_COLUMN = 44;
const ROWS_PER_INSERT = 100_000;

/** Quotes an identifier with backticks (backslash escapes, as ClickHouse's lexer reads them). */
export function quoteClickhouse(name: string): string {
  return "`" + name.replaceAll("\\", "\\\\").replaceAll("`", "\\`") + "`";
}

/** A single-quoted string literal. */
export function literal(s: string): string {
  return "'" + s.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";
}

/** What the server can do, learnt from `version()` when the client opens. */
export interface ServerFeatures {
  version: string;
  /** DateTime64 and `date_time_input_format` (ClickHouse 20.1 and later). */
  dateTime64: boolean;
}

export function serverFeatures(version: string): ServerFeatures {
  const major = Number(version.split(".")[0]) || 0;
  return { version, dateTime64: major >= 20 };
}

function baseType(type: ColumnType, f: ServerFeatures): string {
  switch (type) {
    case "boolean":
      return "UInt8";
    case "bigint":
      return "Int64";
    case "double":
      return "Float64";
    case "timestamp":
      return f.dateTime64 ? "DateTime64(6, 'UTC')" : "DateTime('UTC')";
    default:
      return "String"; // text, and JSON as text
  }
}

/** system.columns type -> our type; what is not here is foreign and left alone. */
export function fromClickhouseType(raw: string): ExistingType {
  const t = raw.replace(/^LowCardinality\((.*)\)$/, "$1").replace(/^Nullable\((.*)\)$/, "$1");
  if (t === "UInt8" || t === "Bool") return "boolean";
  if (t === "Int64") return "bigint";
  if (t === "Float64" || t === "Float32") return "double";
  if (/^DateTime(64)?(\(.*\))?$/.test(t)) return "timestamp";
  if (t === "String") return "text";
  return "foreign";
}

const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** `2026-01-01 00:00:00` in UTC, what an 18.x DateTime column parses. */
function wholeSeconds(value: string): string {
  const iso = UTC_ISO.test(value) ? value : new Date(value).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/**
 * Rows `from` to `to` as JSONEachRow lines, written straight from the cells: the keys are quoted once
 * per call, and a NULL cell is left out (NULL, or the key type's default). Same text as
 * `JSON.stringify` of one object per row, without building those objects.
 */
export function jsonEachRow(columns: string[], rows: Cell[][], from = 0, to = rows.length): string {
  const first = columns.map((c) => "{" + JSON.stringify(c) + ":");
  const later = columns.map((c) => "," + JSON.stringify(c) + ":");
  let body = "";
  for (let r = from; r < to; r++) {
    const row = rows[r];
    let line = "";
    for (let c = 0; c < row.length; c++) {
      const x = row[c];
      if (x === null) continue;
      line += (line === "" ? first[c] : later[c]) + JSON.stringify(x);
    }
    body += (r === from ? "" : "\n") + (line === "" ? "{}" : line + "}");
  }
  return body;
}

/** Builds the CREATE TABLE statement (exported for the cluster DDL test, which needs no cluster). */
export function createTableSql(
  opts: { database: string; cluster: string; features: ServerFeatures },
  name: string,
  columns: [string, ColumnType][],
  primaryKey: string[],
): string {
  const defs = columns.map(([col, type]) =>
    `${quoteClickhouse(col)} ${
      primaryKey.includes(col) ? baseType(type, opts.features) : `Nullable(${baseType(type, opts.features)})`
    }`
  );
  const base = primaryKey.length ? "ReplacingMergeTree" : "MergeTree";
  const engine = opts.cluster
    ? `Replicated${base}(${literal(`/clickhouse/tables/{shard}/${opts.database}/${name}`)}, '{replica}')`
    : `${base}()`;
  const tsKey = columns.some(([c, t]) => c === "timestamp" && t === "timestamp" && primaryKey.includes(c));
  const partition = tsKey ? ` PARTITION BY toYYYYMM(${quoteClickhouse("timestamp")})` : "";
  const order = primaryKey.length ? `(${primaryKey.map(quoteClickhouse).join(", ")})` : "tuple()";
  return `CREATE TABLE IF NOT EXISTS ${quoteClickhouse(opts.database)}.${quoteClickhouse(name)}` +
    `${onCluster(opts.cluster)} (${defs.join(", ")}) ENGINE = ${engine}${partition} ORDER BY ${order}`;
}

/** ` ON CLUSTER `name`` when a cluster is set. */
export function onCluster(cluster: string): string {
  return cluster ? ` ON CLUSTER ${quoteClickhouse(cluster)}` : "";
}

/** Opens a client: checks the hosts, learns the server version, creates the database when missing. */
export async function clickhouseClient(
  creds: ClickhouseCredentials,
  options: ClickhouseHttpOptions,
): Promise<WarehouseClient & { http: ClickhouseHttp; features: ServerFeatures }> {
  const http = new ClickhouseHttp(creds, options);
  const version = (await http.query("SELECT version()", { database: false })).trim();
  const features = serverFeatures(version);
  const db = creds.database;
  const exists = await http.select(`SELECT name FROM system.databases WHERE name = ${literal(db)}`, {
    database: false,
  });
  if (exists.length === 0) {
    await http.query(`CREATE DATABASE IF NOT EXISTS ${quoteClickhouse(db)}${onCluster(creds.cluster)}`, {
      database: false,
    });
  }
  const table = (name: string) => `${quoteClickhouse(db)}.${quoteClickhouse(name)}`;
  const insertSettings = features.dateTime64 ? "SETTINGS date_time_input_format = 'best_effort' " : "";

  async function query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> {
    if (params?.length) throw new Error("clickhouse statements take no bound parameters");
    if (/^\s*(select|show|describe|exists)\b/i.test(sql)) return await http.select(sql);
    await http.query(sql);
    return [];
  }

  function encode(value: FlatValue, type: ExistingType): Cell {
    if (type === "text" || type === "json" || type === "foreign") {
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    }
    if (type === "timestamp") return features.dateTime64 ? String(value) : wholeSeconds(String(value));
    if (type === "boolean") return value ? 1 : 0;
    return value as Cell;
  }
  const jsonRows = new JsonRowsWriter(encode, {
    isoTimestamps: features.dateTime64,
    wholeSeconds,
    rowsPerInsert: ROWS_PER_INSERT,
  });
  const insertSql = (name: string, columns: string[]) =>
    `INSERT INTO ${table(name)} (${
      columns.map(quoteClickhouse).join(", ")
    }) ${insertSettings}FORMAT JSONEachRow`;

  async function ddl(sql: string): Promise<void> {
    try {
      await http.query(sql);
    } catch (e) {
      if (
        !(e instanceof ClickhouseError && e.code === DUPLICATE_COLUMN && /already exists/.test(e.message))
      ) {
        throw e;
      }
    }
  }

  return {
    kind: "clickhouse",
    http,
    features,
    maxNameLength: 63,
    target: `${http.target}/${db}`,
    table,
    quote: quoteClickhouse,
    sqlType: (type, primaryKey) =>
      primaryKey ? baseType(type, features) : `Nullable(${baseType(type, features)})`,
    query,
    async loadColumns(name) {
      const rows = await http.select(
        `SELECT name, type FROM system.columns WHERE database = ${literal(db)} AND table = ${literal(name)}`,
      );
      if (rows.length === 0) return null;
      return new Map(rows.map((r) => [String(r.name), fromClickhouseType(String(r.type))]));
    },
    async createTable(name, columns, primaryKey) {
      await http.query(
        createTableSql({ database: db, cluster: creds.cluster, features }, name, columns, primaryKey),
      );
    },
    async addColumn(name, column, type) {
      await ddl(
        `ALTER TABLE ${table(name)}${onCluster(creds.cluster)} ADD COLUMN ${quoteClickhouse(column)} ` +
          `Nullable(${baseType(type, features)})`,
      );
    },
    async widenColumn(name, column, type) {
      await ddl(
        `ALTER TABLE ${table(name)}${onCluster(creds.cluster)} MODIFY COLUMN ${quoteClickhouse(column)} ` +
          `Nullable(${baseType(type, features)})`,
      );
    },
    encode,
    async insert(_tx: SqlRunner, name, columns, rows) {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        await http.query(insertSql(name, columns), {
          data: jsonEachRow(columns, rows, i, Math.min(rows.length, i + ROWS_PER_INSERT)),
        });
      }
    },
    encodeRows: (columns, types, rows, shapes) => jsonRows.write(columns, types, rows, shapes),
    async insertEncoded(_tx: SqlRunner, name, columns, encoded) {
      const rows = encoded as JsonRows;
      for (let part = 0; part < rows.parts; part++) {
        await http.query(insertSql(name, columns), { data: () => rows.data(part) });
      }
    },
    // ClickHouse has no transactions: each INSERT (one per table and batch) is atomic on its own, and
    // ReplacingMergeTree makes a retry of a partly written batch harmless.
    transaction: (fn) => fn({ query }),
    isStaleSchema(e) {
      return e instanceof ClickhouseError && STALE.has(e.code);
    },
    async close() {},
  };
}
