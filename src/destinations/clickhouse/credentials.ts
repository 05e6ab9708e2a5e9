import * as v from "valibot";
import { ValidationError } from "../../errors.ts";
import { parseInput } from "../../validation.ts";

const text = v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"));

/** ClickHouse credentials, Jitsu's field names (bulker's ClickHouseConfig). */
export const ClickhouseCredentialsSchema = v.looseObject({
  protocol: v.optional(
    v.picklist(
      ["http", "https", "clickhouse", "clickhouse-secure"],
      "must be http, https, clickhouse or clickhouse-secure",
    ),
    "https",
  ),
  hosts: v.pipe(v.array(text, "must be an array of strings"), v.minLength(1, "at least one host")),
  username: v.optional(v.string(), "default"),
  password: v.optional(v.string()),
  database: v.optional(text, "default"),
  cluster: v.optional(v.string()),
});

/** Parsed credentials plus the HTTP base URLs, one per host, in the order given. */
export interface ClickhouseCredentials {
  protocol: "http" | "https";
  urls: URL[];
  username: string;
  password: string;
  database: string;
  /** Empty when tables are not replicated. */
  cluster: string;
}

const DEFAULT_PORT = { http: 8123, https: 8443 } as const;

/**
 * Parses ClickHouse credentials. Only the HTTP interface is spoken: `clickhouse` and `clickhouse-secure`
 * (the native TCP protocol) are refused with the way out, since Sluice has no native-protocol client.
 */
export function parseClickhouseCredentials(input: unknown): ClickhouseCredentials {
  const c = parseInput(ClickhouseCredentialsSchema, input, "Invalid clickhouse credentials");
  if (c.protocol !== "http" && c.protocol !== "https") {
    const issue = {
      path: "protocol",
      message: `"${c.protocol}" (the native protocol) is not supported: use "https" (port 8443) or "http" ` +
        "(port 8123), ClickHouse's HTTP interface",
    };
    throw new ValidationError(`Invalid clickhouse credentials: protocol: ${issue.message}`, [issue]);
  }
  const protocol = c.protocol;
  const urls = c.hosts.map((h, i) => {
    const hostPort = /:\d+$/.test(h) || /^\[.*\]:\d+$/.test(h) ? h : `${h}:${DEFAULT_PORT[protocol]}`;
    let url: URL;
    try {
      url = new URL(`${protocol}://${hostPort}/`);
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== `${protocol}:` || url.pathname !== "/" || url.username || url.search) {
      const issue = { path: `hosts.${i}`, message: `"${h}" is not a host or host:port` };
      throw new ValidationError(`Invalid clickhouse credentials: hosts.${i}: ${issue.message}`, [issue]);
    }
    return url;
  });
  if (urls.length > 1 && !c.cluster) {
    const issue = { path: "cluster", message: "required when more than one host is given" };
    throw new ValidationError(`Invalid clickhouse credentials: cluster: ${issue.message}`, [issue]);
  }
  return {
    protocol,
    urls,
    username: c.username || "default",
    password: c.password ?? "",
    database: c.database,
    cluster: c.cluster?.trim() ?? "",
  };
}
