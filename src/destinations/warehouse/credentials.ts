import * as v from "valibot";
import { parseInput } from "../../validation.ts";
import type { WarehouseOptions } from "./types.ts";

const port = (dflt: number) =>
  v.optional(
    v.union([
      v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
      v.pipe(v.string(), v.regex(/^\d{1,5}$/, "must be a port number")),
    ], "must be a port number"),
    dflt,
  );

const text = v.pipe(v.string(), v.minLength(1, "must not be empty"));

/** PostgreSQL credentials, Jitsu's field names and defaults (console destinations.tsx). */
export const PostgresCredentialsSchema = v.looseObject({
  host: text,
  port: port(5432),
  database: text,
  username: v.optional(v.string(), "postgres"),
  password: v.optional(v.string()),
  defaultSchema: v.optional(text, "public"),
  sslMode: v.optional(
    v.picklist(
      ["disable", "require", "verify-ca", "verify-full"],
      "must be disable, require, verify-ca or verify-full",
    ),
    "require",
  ),
  sslServerCA: v.optional(v.string()),
  sslClientCert: v.optional(v.string()),
  sslClientKey: v.optional(v.string()),
});
export type PostgresCredentials = v.InferOutput<typeof PostgresCredentialsSchema>;

/**
 * MySQL/MariaDB credentials. Sluice's catalog says `sslMode` (disable, preferred, require, verify-full);
 * Jitsu's `parameters.tls` (false, preferred, skip-verify, true) is still understood when sslMode is absent.
 */
export const MysqlCredentialsSchema = v.looseObject({
  host: text,
  port: port(3306),
  database: text,
  username: v.optional(v.string(), "root"),
  password: v.optional(v.string()),
  sslMode: v.optional(
    v.picklist(
      ["disable", "preferred", "require", "verify-full"],
      "must be disable, preferred, require or verify-full",
    ),
  ),
  parameters: v.optional(
    v.looseObject({
      tls: v.optional(
        v.picklist(
          ["true", "false", "skip-verify", "preferred"],
          "must be true, false, skip-verify or preferred",
        ),
        "preferred",
      ),
    }),
    { tls: "preferred" },
  ),
});
export type MysqlCredentials = v.InferOutput<typeof MysqlCredentialsSchema>;

/** Jitsu's BaseBulkerConnectionOptions, the subset the warehouse core honours, with its defaults. */
export const WarehouseOptionsSchema = v.looseObject({
  dataLayout: v.optional(
    v.picklist(
      ["segment-single-table", "segment", "passthrough"],
      "must be segment-single-table, segment or passthrough",
    ),
    "segment-single-table",
  ),
  deduplicate: v.optional(v.boolean(), true),
  primaryKey: v.optional(
    v.pipe(v.string(), v.regex(/^\s*[^,\s]+(\s*,\s*[^,\s]+)*\s*$/, "must be a comma-separated column list")),
    "message_id",
  ),
  mode: v.optional(v.picklist(["stream", "batch"], "must be stream or batch"), "batch"),
  batchSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, "must be at least 1")), 10000),
  frequency: v.optional(
    v.pipe(v.number(), v.minValue(0.001, "must be positive"), v.maxValue(1440, "must be at most 1440")),
    5,
  ),
});

/** Parses credentials; the message names the destination type and every bad field. */
export function parsePostgresCredentials(input: unknown): PostgresCredentials {
  return parseInput(PostgresCredentialsSchema, input, "Invalid postgres credentials");
}

const TLS_OF_SSL_MODE = {
  disable: "false",
  preferred: "preferred",
  require: "skip-verify",
  "verify-full": "true",
} as const;

/** Parses MySQL credentials; `parameters.tls` comes out resolved (from sslMode when given). */
export function parseMysqlCredentials(input: unknown): MysqlCredentials {
  const c = parseInput(MysqlCredentialsSchema, input, "Invalid mysql credentials");
  if (c.sslMode) c.parameters = { ...c.parameters, tls: TLS_OF_SSL_MODE[c.sslMode] };
  return c;
}

/** Parses connection options (unknown keys such as `functions` are ignored). */
export function parseWarehouseOptions(input: unknown): WarehouseOptions {
  const o = parseInput(WarehouseOptionsSchema, input ?? {}, "Invalid warehouse connection options");
  return {
    dataLayout: o.dataLayout,
    deduplicate: o.deduplicate,
    primaryKey: o.primaryKey,
    mode: o.mode,
    batchSize: o.batchSize,
    frequency: o.frequency,
  };
}
