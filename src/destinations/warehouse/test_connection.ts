import { AppError } from "../../errors.ts";
import { describeConnectError } from "./connect_errors.ts";
import { errorMessage, type WarehouseClient } from "./client.ts";
import {
  type MysqlCredentials,
  parseMysqlCredentials,
  parsePostgresCredentials,
  type PostgresCredentials,
} from "./credentials.ts";

/** Answer of a connection test: which step failed and why, in words a person (or a model) can act on. */
export interface ConnectionTestResult {
  ok: boolean;
  /** `credentials`, `connect` or `create_table` (the first step that failed). */
  step?: "credentials" | "connect" | "create_table";
  error?: string;
}

import type { WarehouseKind } from "./connect_errors.ts";
export type { WarehouseKind };

/**
 * Opens the warehouse client for a destination type and parsed credentials. Each driver is loaded on
 * first use: mysql2 and postgres.js cost about 0.6 s of module loading that a server without warehouse
 * destinations (and every CLI command) would otherwise pay at start. The specifiers are literal, so
 * `deno compile` still embeds both.
 */
export async function openWarehouseClient(
  kind: WarehouseKind,
  credentials: PostgresCredentials | MysqlCredentials,
  options: { max?: number } = {},
): Promise<WarehouseClient> {
  if (kind === "postgres") {
    const { pgClient } = await import("./pg_client.ts");
    return pgClient(credentials as PostgresCredentials, options);
  }
  const { mysqlClient } = await import("./mysql_client.ts");
  return await mysqlClient(credentials as MysqlCredentials, options);
}

/**
 * Checks that Sluice can write to a warehouse: the credentials parse, a connection opens (password, TLS),
 * and a table can be created, written and dropped in the target schema. Never throws; the result says
 * which step failed and why.
 */
export async function testConnection(kind: WarehouseKind, input: unknown): Promise<ConnectionTestResult> {
  let c: PostgresCredentials | MysqlCredentials;
  try {
    c = kind === "postgres" ? parsePostgresCredentials(input) : parseMysqlCredentials(input);
  } catch (e) {
    return { ok: false, step: "credentials", error: e instanceof AppError ? e.message : errorMessage(e) };
  }
  let client: WarehouseClient;
  try {
    client = await openWarehouseClient(kind, c, { max: 1 });
  } catch (e) {
    return { ok: false, step: "connect", error: await describeConnectError(kind, c, e) };
  }
  try {
    try {
      await client.query("select 1");
    } catch (e) {
      return { ok: false, step: "connect", error: await describeConnectError(kind, c, e) };
    }
    const probe = `_sluice_connection_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    try {
      await client.createTable(probe, [["id", "text"]], ["id"]);
      await client.query(`insert into ${client.table(probe)} (${client.quote("id")}) values ('x')`);
      await client.query(`drop table ${client.table(probe)}`);
    } catch (e) {
      const where = kind === "postgres"
        ? `schema "${(c as PostgresCredentials).defaultSchema}"`
        : `database "${c.database}"`;
      return {
        ok: false,
        step: "create_table",
        error:
          `Connected to ${kind} at ${c.host}:${c.port} as "${c.username}", but cannot create tables in ${where}: ` +
          errorMessage(e),
      };
    }
    return { ok: true };
  } finally {
    await client.close().catch(() => {});
  }
}
