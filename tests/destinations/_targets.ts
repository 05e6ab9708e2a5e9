/**
 * Throwaway warehouses for the destination tests: a fresh schema in PostgreSQL's `test` database and a
 * fresh database in MariaDB, dropped afterwards, so parallel runs never collide.
 */
import type { WarehouseClient } from "../../src/destinations/warehouse/client.ts";
import type { WarehouseKind } from "../../src/destinations/warehouse/connect_errors.ts";
import { openWarehouseClient } from "../../src/destinations/warehouse/test_connection.ts";
import {
  parseMysqlCredentials,
  parsePostgresCredentials,
} from "../../src/destinations/warehouse/credentials.ts";

export const PG_HOST = Deno.env.get("WAREHOUSE_PG_HOST") ?? "127.0.0.1";
export const MYSQL_HOST = Deno.env.get("WAREHOUSE_MYSQL_HOST") ?? "127.0.0.1";

/** A throwaway target: credentials as a destination would hold them, and a client to look inside. */
export interface Target {
  kind: WarehouseKind;
  /** Schema (PostgreSQL) or database (MariaDB) name. */
  name: string;
  credentials: Record<string, unknown>;
  /** An admin client on the target, for assertions. */
  client: WarehouseClient;
  /** Rows of `select * from <table> order by message_id` as plain objects. */
  rows(table: string, orderBy?: string): Promise<Record<string, unknown>[]>;
  /** Column name -> information_schema data_type. */
  columns(table: string): Promise<Record<string, string>>;
  drop(): Promise<void>;
}

function randomName(): string {
  return `sluice_wh_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** Builds a Target over an opened client. */
function target(
  kind: WarehouseKind,
  name: string,
  credentials: Record<string, unknown>,
  client: WarehouseClient,
  drop: () => Promise<void>,
): Target {
  return {
    kind,
    name,
    credentials,
    client,
    async rows(table, orderBy = "message_id") {
      return await client.query(`select * from ${client.table(table)} order by ${client.quote(orderBy)}`);
    },
    async columns(table) {
      const rows = await client.query(
        kind === "postgres"
          ? "select column_name as name, data_type as type from information_schema.columns where table_schema = $1 and table_name = $2"
          : "select column_name as name, data_type as type from information_schema.columns where table_schema = ? and table_name = ?",
        [name, table],
      );
      return Object.fromEntries(rows.map((r) => [String(r.name), String(r.type)]));
    },
    drop,
  };
}

/** A fresh schema in PostgreSQL's `test` database. */
export async function pgTarget(): Promise<Target> {
  const name = randomName();
  const credentials = {
    host: PG_HOST,
    port: 5432,
    database: "test",
    username: "postgres",
    sslMode: "disable",
    defaultSchema: name,
  };
  const client = await openWarehouseClient("postgres", parsePostgresCredentials(credentials));
  await client.query(`create schema ${client.quote(name)}`);
  return target("postgres", name, credentials, client, async () => {
    await client.query(`drop schema if exists ${client.quote(name)} cascade`);
    await client.close();
  });
}

/** A fresh database in MariaDB. */
export async function mysqlTarget(): Promise<Target> {
  const name = randomName();
  const admin = await openWarehouseClient(
    "mysql",
    parseMysqlCredentials({
      host: MYSQL_HOST,
      database: "test",
      username: "root",
      password: "",
      parameters: { tls: "false" },
    }),
  );
  await admin.query(`create database ${admin.quote(name)}`);
  await admin.close();
  const credentials = {
    host: MYSQL_HOST,
    port: 3306,
    database: name,
    username: "root",
    password: "",
    sslMode: "disable",
  };
  const client = await openWarehouseClient("mysql", parseMysqlCredentials(credentials));
  return target("mysql", name, credentials, client, async () => {
    await client.query(`drop database if exists ${client.quote(name)}`);
    await client.close();
  });
}

/** Both warehouses, for suites that must pass on each. */
export const TARGETS: { name: WarehouseKind; open: () => Promise<Target> }[] = [
  { name: "postgres", open: pgTarget },
  { name: "mysql", open: mysqlTarget },
];

let seq = 0;

/** A Segment-style track event, as ingest normalises it. */
export function trackEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    type: "track",
    event: "Order Completed",
    messageId: `m-${Date.now()}-${seq}`,
    userId: "u1",
    anonymousId: "a1",
    timestamp: "2026-01-01T00:00:00.000Z",
    receivedAt: "2026-01-01T00:00:01.000Z",
    context: {
      ip: "1.2.3.4",
      page: { url: "https://example.com/x", title: "X" },
      traits: { email: "a@b.c" },
    },
    properties: { total: 10, currency: "EUR", items: [{ sku: "a" }, { sku: "b" }] },
    ...overrides,
  };
}
