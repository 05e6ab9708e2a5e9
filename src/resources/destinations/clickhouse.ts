import * as v from "valibot";
import { oneOf, optText, textWithDefault } from "../base.ts";
import { warehouseOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const clickhouse: DestinationType = {
  id: "clickhouse",
  title: "ClickHouse",
  description:
    "Writes events into ClickHouse tables over its HTTP interface (ReplacingMergeTree on the primary " +
    "key when deduplicating), creating tables and adding columns as needed.",
  tags: ["warehouse"],
  credentials: {
    protocol: oneOf(
      ["http", "https", "clickhouse", "clickhouse-secure"],
      "Protocol to the server: Sluice speaks ClickHouse's HTTP interface (https, or http to a private host); " +
        "the native protocols (clickhouse, clickhouse-secure) are refused.",
      "https",
    ),
    hosts: v.pipe(
      v.array(
        v.pipe(v.string("must be a string"), v.minLength(1, "required")),
        "must be an array of strings",
      ),
      v.minLength(1, "at least one host"),
      v.description('Servers as "host:port" (default ports 8123/8443/9000/9440 by protocol).'),
    ),
    username: textWithDefault("User name.", "default"),
    password: optText("Password.", { max: 1000 }),
    cluster: optText("Cluster name, for replicated tables.", { max: 255 }),
    database: textWithDefault("Database name.", "default"),
  },
  secrets: [{ path: "password" }],
  connectionOptions: warehouseOptions({ primaryKey: "timestamp,message_id" }),
  deliverable: true,
};
